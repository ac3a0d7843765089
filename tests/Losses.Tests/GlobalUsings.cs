global using Losses.Tests.Support;
global using Xunit;
