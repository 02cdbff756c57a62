using System.Globalization;
using System.Text;

namespace RunMesh.Hashing;

/// <summary>
/// Formats a double the way ECMAScript's <c>Number.prototype.toString</c> does, as RFC 8785 §3.2.2.3 requires.
/// </summary>
/// <remarks>
/// .NET's round-trip format already yields the shortest digit string that parses back to the same double
/// (the digits ECMAScript picks too); only the layout differs: .NET writes <c>1E+21</c>, <c>1E-07</c> and
/// <c>1.2345678901234568E+20</c> where ECMAScript writes <c>1e+21</c>, <c>1e-7</c> and <c>123456789012345680000</c>.
/// So we take .NET's digits and exponent and lay them out by ECMA-262's Number::toString rules.
/// </remarks>
internal static class EcmaScriptNumber
{
    // A double has at most 17 significant digits; "-1.7976931348623157E+308" is the longest round-trip form.
    private const int MaxRoundTripLength = 32;
    private const int MaxSignificantDigits = 17;

    /// <summary>Appends the ECMAScript form of a finite <paramref name="value"/>.</summary>
    public static void Append(StringBuilder output, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "NaN and Infinity have no JSON form.");
        }

        // Also turns -0 into "0", as ECMAScript does.
        if (value == 0)
        {
            output.Append('0');
            return;
        }

        if (value < 0)
        {
            output.Append('-');
            value = -value;
        }

        Span<char> roundTrip = stackalloc char[MaxRoundTripLength];
        if (!value.TryFormat(roundTrip, out var length, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"The round-trip form of {value} does not fit {MaxRoundTripLength} characters.");
        }

        Span<char> digits = stackalloc char[MaxSignificantDigits];
        var (digitCount, pointPosition) = Decompose(roundTrip[..length], digits);
        Layout(output, digits[..digitCount], pointPosition);
    }

    /// <summary>
    /// Splits .NET's round-trip text (e.g. <c>0.0001</c>, <c>1.5E-07</c>, <c>12300</c>) into its significant digits,
    /// without leading or trailing zeros, and <c>n</c> such that the value is 0.<em>digits</em> × 10^n.
    /// </summary>
    private static (int DigitCount, int PointPosition) Decompose(ReadOnlySpan<char> roundTrip, Span<char> digits)
    {
        var exponentIndex = roundTrip.IndexOfAny('E', 'e');
        var mantissa = exponentIndex < 0 ? roundTrip : roundTrip[..exponentIndex];
        var exponent = exponentIndex < 0
            ? 0
            : int.Parse(roundTrip[(exponentIndex + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        var digitCount = 0;
        var integerDigits = 0;
        var leadingZeros = 0;
        var seenPoint = false;
        foreach (var c in mantissa)
        {
            if (c == '.')
            {
                seenPoint = true;
                continue;
            }

            if (!seenPoint)
            {
                integerDigits++;
            }

            if (digitCount == 0 && c == '0')
            {
                leadingZeros++;
                continue;
            }

            digits[digitCount++] = c;
        }

        while (digits[digitCount - 1] == '0')
        {
            digitCount--;
        }

        return (digitCount, integerDigits + exponent - leadingZeros);
    }

    /// <summary>ECMA-262 Number::toString, steps for k digits and point position n.</summary>
    private static void Layout(StringBuilder output, ReadOnlySpan<char> digits, int n)
    {
        var k = digits.Length;
        if (k <= n && n <= 21)
        {
            // An integer of up to 21 digits: 12300 (1e21 has 22 digits and takes the exponent form).
            output.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            // Decimal point inside the digits: 333333333.3333333
            output.Append(digits[..n]).Append('.').Append(digits[n..]);
        }
        else if (-6 < n && n <= 0)
        {
            // Small fraction written out: 0.000001
            output.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            // Exponent form: 1e+21, 5e-324, 1.7976931348623157e+308
            output.Append(digits[0]);
            if (k > 1)
            {
                output.Append('.').Append(digits[1..]);
            }

            var exponent = n - 1;
            output.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString(CultureInfo.InvariantCulture));
        }
    }
}
