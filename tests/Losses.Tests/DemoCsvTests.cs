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
        var data = CsvData.Parse(["a,b,y", "1,2,cat", "3,4.5,dog", "", "-1,0,cat"], "my.csv", "y");
        Assert.NotNull(data);
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
}
