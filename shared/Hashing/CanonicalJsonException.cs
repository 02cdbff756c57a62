namespace RunMesh.Hashing;

/// <summary>
/// Raised when a value cannot be canonicalized under RFC 8785: the input is not valid JSON, an object
/// has a duplicate property name, a number is not a finite IEEE-754 double, or a string is not valid Unicode.
/// </summary>
public sealed class CanonicalJsonException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public CanonicalJsonException()
        : base("The value cannot be canonicalized as RFC 8785 JSON.")
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong and where.</summary>
    /// <param name="message">What is wrong, including the JSON path where known.</param>
    public CanonicalJsonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong, including the JSON path where known.</param>
    /// <param name="innerException">The parser or writer error behind it.</param>
    public CanonicalJsonException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
