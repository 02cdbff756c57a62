namespace RunMesh.Benchmarks.Reporting;

/// <summary>The median of a few figures (the upper one of an even count), rounded.</summary>
internal static class Median
{
    public static double Of(IReadOnlyCollection<double> values, int digits = 1) =>
        values.Count == 0 ? double.NaN : Math.Round(values.Order().ElementAt(values.Count / 2), digits);
}
