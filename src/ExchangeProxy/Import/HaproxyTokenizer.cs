using System.Text;

namespace ExchangeProxy.Import;

/// <summary>
/// Splits a line into words as HAProxy 2.x does: blanks separate words, <c>#</c> starts a comment, a backslash
/// escapes the next character, double quotes group (with escapes), single quotes group literally. A trailing
/// backslash does not continue a line in HAProxy (it is an extra argument), so it is refused here.
/// </summary>
public static class HaproxyTokenizer
{
    public static IReadOnlyList<string> Split(string text, int lineNumber)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c == '\\')
            {
                if (i + 1 == text.Length)
                {
                    throw new HaproxyImportException(lineNumber,
                        "a backslash ends the line: HAProxy has no line continuation; join the line");
                }

                word.Append(Escaped(text, ref i, lineNumber));
                inWord = true;
                continue;
            }

            if (quote == '"')
            {
                if (c == '"')
                {
                    quote = null;
                }
                else if (c == '$' && i + 1 < text.Length && (text[i + 1] == '{' || char.IsAsciiLetter(text[i + 1]) || text[i + 1] == '_'))
                {
                    throw new HaproxyImportException(lineNumber,
                        "an environment variable in quotes: HAProxy expands it when it starts, the importer cannot; write its value");
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '#')
            {
                break;
            }
            else if (c is ' ' or '\t' or '\r')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if (char.IsControl(c))
            {
                throw new HaproxyImportException(lineNumber, $"control character U+{(int)c:X4} in the line");
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quote is { } open)
        {
            throw new HaproxyImportException(lineNumber, $"unterminated {(open == '"' ? "double" : "single")} quote");
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static string Escaped(string text, ref int i, int lineNumber)
    {
        var next = text[++i];
        switch (next)
        {
            case 'r':
                return "\r";
            case 'n':
                return "\n";
            case 't':
                return "\t";
            case 'x':
                if (i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
                {
                    var value = Convert.ToByte(text.Substring(i + 1, 2), 16);
                    i += 2;
                    return ((char)value).ToString();
                }

                throw new HaproxyImportException(lineNumber, "'\\x' must be followed by two hexadecimal digits");
            default:
                return next.ToString();
        }
    }
}
