namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// What a query or path parameter that a handler takes as text really is, for the API document: an integer (with its
/// range), a boolean, or an enum (its wire names). Handlers take such values as <see cref="string"/> so that a bad
/// value is refused in the API's own words (<c>Query parameter 'limit' must be an integer from 1 to 200.</c>) rather
/// than by the framework's binder; the document still tells a client generator the type.
/// </summary>
/// <param name="type">The type whose schema the parameter has: <see cref="int"/>, <see cref="long"/>, <see cref="bool"/>, <see cref="Guid"/>, an enum.</param>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class DocumentedAsAttribute(Type type) : Attribute
{
    /// <summary>The type whose schema the parameter has.</summary>
    public Type Type { get; } = type;

    /// <summary>The least value of an integer (<see cref="long.MinValue"/>: none).</summary>
    public long Minimum { get; set; } = long.MinValue;

    /// <summary>The greatest value of an integer (<see cref="long.MaxValue"/>: none).</summary>
    public long Maximum { get; set; } = long.MaxValue;
}
