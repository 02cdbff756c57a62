namespace RunMesh.Reliability.Tests.Load;

/// <summary>
/// The workflows the load is made of: three mock phases each, slow enough (<c>latencyMs</c>) that a fault always
/// meets phases in flight. Most runs complete; some stop at an approval gate that the <see cref="AutoApprover"/>
/// approves; a few fail on purpose (an executor error with no retry left), so failed runs, their reports and their
/// error paths are part of every fault too.
/// </summary>
public static class ReliabilityTemplates
{
    public const string Steady = "rel-steady@1";
    public const string Gated = "rel-gated@1";
    public const string Failing = "rel-failing@1";

    /// <summary>The template of the <paramref name="index"/>-th run of a load: 7 of 10 steady, 2 gated, 1 failing.</summary>
    public static string ForRun(int index) => (index % 10) switch
    {
        3 or 7 => Gated,
        9 => Failing,
        _ => Steady,
    };

    /// <summary>The terminal state a run of <paramref name="template"/> must reach (JSON name).</summary>
    public static string ExpectedState(string template) => template == Failing ? "failed" : "completed";

    /// <summary>The YAML of every template, to register once per mesh.</summary>
    public static readonly string[] All =
    [
        """
        name: rel-steady
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 2000 } } }
        phases:
          - key: spec
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, minItems: 1, items: { type: string } } } }
          - key: review
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
          - key: summary
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Summarize {{phases.review.output}}"
            artifact:
              schema: { type: object, required: [text], properties: { text: { type: string } } }
        """,
        """
        name: rel-gated
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 2000 } } }
        phases:
          - key: spec
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, minItems: 1, items: { type: string } } } }
          - key: review
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
            gates: [review-approval]
          - key: summary
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Summarize {{phases.review.output}}"
            artifact:
              schema: { type: object, required: [text], properties: { text: { type: string } } }
        """,
        """
        name: rel-failing
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 2000 } } }
        phases:
          - key: spec
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, minItems: 1, items: { type: string } } } }
          - key: review
            executor: mock
            settings: { latencyMs: 150 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
          - key: summary
            executor: mock
            settings: { latencyMs: 150, failAttempts: 99 }
            retry: { maxAttempts: 1 }
            instructions: "Summarize {{phases.review.output}}"
            artifact:
              schema: { type: object, required: [text], properties: { text: { type: string } } }
        """,
    ];
}
