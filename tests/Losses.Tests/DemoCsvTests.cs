using Losses.Demo.Data;

namespace Losses.Tests;

/// <summary>The demo's --data loader: a bad CSV gets one line naming the file, the line and the column.</summary>
public class DemoCsvTests
{
    private static string Error(params string[] lines) =>
        Assert.Throws<DataException>(() => CsvData.Parse(lines, "my.csv", "y")).Message;

    [Fact]
    public void Reads_a_good_file()
    {
        var data = CsvData.Parse(["a,b,y", "1,2,cat", "3,4.5,dog", "", "-1,0,cat", "2,2,dog"], "my.csv", "y");
        Assert.Equal(4, data.Rows);
        Assert.Equal(["cat", "dog"], data.ClassNames);
    }

    [Fact]
    public void Names_the_missing_label_column() =>
        Assert.Equal("my.csv, line 1: no column named 'y' for --label (columns: a, b)", Error("a,b", "1,2"));

    [Fact]
    public void Names_line_and_column_of_a_non_number()
    {
        string message = Error("a,b,y", "1,2,0", "3,x7,1");
        Assert.StartsWith("my.csv, line 3, column 2 ('b'):", message);
        Assert.Contains("x7", message);
    }

    [Fact]
    public void Names_a_short_line() =>
        Assert.Equal("my.csv, line 3: 2 fields but the header has 3 columns", Error("a,b,y", "1,2,0", "3,1"));

    [Fact]
    public void Rejects_an_empty_file() => Assert.StartsWith("my.csv: the file is empty", Error());

    [Fact]
    public void Rejects_a_missing_file() =>
        Assert.Equal("no-such-file.csv: file not found", Assert.Throws<DataException>(() => CsvData.Load("no-such-file.csv", "y")).Message);

    [Fact]
    public void Says_clearly_when_there_are_too_few_rows_to_test_on() =>
        Assert.Equal("my.csv: only 3 data rows; at least 4 are needed (3 to train on, 1 to test on)", Error("a,y", "1,0", "2,1", "3,1"));

    [Fact]
    public void Every_split_of_two_rows_or_more_has_a_test_row_and_a_train_row()
    {
        // Four classes of one row each: rounding 0.25 per class gives no test row at all.
        var data = CsvData.Parse(["a,y", "1,0", "2,1", "3,2", "4,3"], "my.csv", "y");
        for (int seed = 0; seed < 5; seed++)
        {
            var (train, test) = data.Split(0.25, seed);
            Assert.NotEqual(0, test.Rows);
            Assert.NotEqual(0, train.Rows);
            Assert.Equal(4, train.Rows + test.Rows);
        }
        var two = CsvData.Parse(["a,y", "1,0", "2,0", "3,0", "4,1"], "my.csv", "y").Subset([0, 3], "two");
        var (train2, test2) = two.Split(0.25, 1);
        Assert.Equal(1, test2.Rows);
        Assert.Equal(1, train2.Rows);
    }

    [Fact]
    public void Numeric_labels_are_compared_as_numbers()
    {
        var data = CsvData.Parse(["a,y", "1,1", "2,1.0", "3,01", "4,2", "5,-0", "6,0"], "my.csv", "y");
        Assert.Equal(["0", "1", "2"], data.ClassNames);
        Assert.Equal([1, 1, 1, 2, 0, 0], data.Labels);
        // mixed text stays text
        var text = CsvData.Parse(["a,y", "1,1", "2,1.0", "3,cat", "4,1"], "my.csv", "y");
        Assert.Equal(["1", "1.0", "cat"], text.ClassNames);
    }

    [Fact]
    public void Names_a_duplicate_column() =>
        Assert.Equal("my.csv, line 1: column 'a' appears twice (columns 1 and 3); column names must be unique", Error("a,b,a,y", "1,2,3,0"));

    [Fact]
    public async Task Refuses_a_device_or_a_pipe_with_one_line_instead_of_hanging()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        Assert.Equal("/dev/zero: is empty, or is not a regular file (a pipe or a device); give a CSV file",
            Assert.Throws<DataException>(() => CsvData.Load("/dev/zero", "y")).Message);
        string fifo = Path.Combine(Path.GetTempPath(), $"losses-demo-{Environment.ProcessId}.fifo");
        Assert.Equal(0, MakeFifo(fifo, 0x180));
        try
        {
            var load = Task.Run(() => CsvData.Load(fifo, "y"));
            Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20))));
            var e = await Assert.ThrowsAsync<DataException>(() => load);
            Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [Fact]
    public void Refuses_a_file_over_the_size_limit()
    {
        string path = Path.GetTempFileName();
        try
        {
            using (var stream = File.OpenWrite(path))
            {
                stream.SetLength(CsvData.MaxBytes + 1); // sparse: no disk space used
            }
            Assert.EndsWith("MB; the demo reads CSV files of at most 256 MB", Assert.Throws<DataException>(() => CsvData.Load(path, "y")).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);
}
