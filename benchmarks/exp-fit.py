import numpy as np, mpmath as mp
mp.mp.dps=40
L=float(mp.log(2)/2)
# fit exp(r) = 1 + r + r^2 * Q(r), Q degree d, minimise relative error; simple iterative reweighted LS (Lawson) on dense grid
def fit(d, iters=60):
    r=np.linspace(-L*1.0002,L*1.0002,20001)
    rr=[mp.mpf(x) for x in r]
    target=np.array([float((mp.exp(x)-1-x)/(x*x)) if x!=0 else 0.5 for x in rr])
    # relative error weight: error in exp = r^2*(Q-target); relative = r^2*(Q-target)/exp(r)
    w0=r**2/np.exp(r)
    V=np.vander(r,d+1,increasing=True)
    wt=np.ones_like(r)/len(r)
    for it in range(iters):
        W=np.sqrt(wt)*w0
        c,*_=np.linalg.lstsq(V*W[:,None],target*W,rcond=None)
        e=np.abs((V@c-target)*w0)
        wt=wt*e; wt/=wt.sum()
    return c, e.max()
for d in (3,4,5):
    c,e=fit(d); print(d+2, e, e/2**-24, list(c))
