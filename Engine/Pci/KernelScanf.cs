namespace ScenarioEngine.Pci;

/// <summary>
/// The part of the kernel's vsscanf (lib/vsprintf.c, Linux 7.0) that pci_dev_str_match's formats
/// use: literal characters that must match, %x and %hx (white space skipped, an optional "0x", at
/// least one hex digit, the value truncated to the destination's width), %c (one character) and %n
/// (characters read so far). Conversions stop at the first mismatch or at the end of the input; the
/// result is the number of conversions made, as sscanf returns it.
/// </summary>
internal static class KernelScanf
{
    /// <param name="values">Receives each conversion's value (%c: the character; %n is not counted but fills <paramref name="consumed"/>).</param>
    public static int Scan(string input, int start, string format, List<ulong> values, out int consumed)
    {
        int s = start, f = 0, num = 0;
        consumed = 0;
        values.Clear();
        while (f < format.Length)
        {
            if (format[f] != '%')
            {
                if (s >= input.Length || format[f] != input[s]) break;
                f++;
                s++;
                continue;
            }
            f++;
            bool half = false;
            if (f < format.Length && format[f] == 'h') { half = true; f++; }
            if (f >= format.Length) break;
            char conv = format[f++];
            if (conv == 'n')
            {
                consumed = s - start;
                continue;
            }
            if (s >= input.Length) break; // if (!*str) break;
            if (conv == 'c')
            {
                values.Add(input[s++]);
                num++;
                continue;
            }
            // %x: skip white space, then at least one hex digit (after an optional 0x)
            while (s < input.Length && char.IsWhiteSpace(input[s])) s++;
            if (s >= input.Length || !IsHex(input[s])) break;
            if (input[s] == '0' && s + 1 < input.Length && (input[s + 1] | 0x20) == 'x') s += 2; // _parse_integer_fixup_radix
            ulong v = 0;
            while (s < input.Length && IsHex(input[s]))
            {
                v = unchecked(v * 16 + (ulong)HexValue(input[s]));
                s++;
            }
            values.Add(half ? (ushort)v : (uint)v);
            num++;
        }
        return num;
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';
    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
