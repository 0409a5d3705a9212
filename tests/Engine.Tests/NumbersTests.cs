using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

public class NumbersTests
{
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("4096", 4096UL)]
    [InlineData("0x1000", 0x1000UL)]
    [InlineData("0x1_0000_0000", 0x1_0000_0000UL)]
    [InlineData("0X6000_0000", 0x6000_0000UL)]
    [InlineData("1_000", 1000UL)]
    [InlineData("4KiB", 4096UL)]
    [InlineData("16MiB", 16UL << 20)]
    [InlineData("4GiB", 4UL << 30)]
    [InlineData("2TiB", 2UL << 40)]
    [InlineData("0x10MiB", 16UL << 20)]
    public void Integers_in_every_contract_syntax_parse_to_their_value(string text, ulong expected)
    {
        Assert.True(Numbers.TryParse(text, out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("1__0")]
    [InlineData("0x")]
    [InlineData("0x_1")]
    [InlineData("12abc")]
    [InlineData("4 KB")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    [InlineData("0x1_0000_0000_0000_0000")]
    [InlineData("17000000TiB")]
    public void Malformed_or_overflowing_integers_are_rejected(string text)
    {
        Assert.False(Numbers.TryParse(text, out _));
    }
}
