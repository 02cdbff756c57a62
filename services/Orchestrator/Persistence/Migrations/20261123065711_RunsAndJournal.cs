using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunsAndJournal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "artifact_blobs",
                columns: table => new
                {
                    digest = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_artifact_blobs", x => x.digest);
                });

            migrationBuilder.CreateTable(
                name: "run_deadlines",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    phase_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    attempt = table.Column<int>(type: "integer", nullable: true),
                    execution_id = table.Column<Guid>(type: "uuid", nullable: true),
                    generation = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_deadlines", x => new { x.run_id, x.kind });
                });

            migrationBuilder.CreateTable(
                name: "run_events",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_events", x => new { x.run_id, x.seq });
                });

            migrationBuilder.CreateTable(
                name: "runs",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false),
                    state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    definition = table.Column<string>(type: "jsonb", nullable: false),
                    phases = table.Column<string>(type: "jsonb", nullable: false),
                    outputs = table.Column<string>(type: "jsonb", nullable: false),
                    phase_index = table.Column<int>(type: "integer", nullable: false),
                    usage = table.Column<string>(type: "jsonb", nullable: false),
                    event_seq = table.Column<long>(type: "bigint", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "jsonb", nullable: true),
                    approval = table.Column<string>(type: "jsonb", nullable: true),
                    retry = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    report_url = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    report_generation = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.run_id);
                });

            migrationBuilder.CreateTable(
                name: "run_artifacts",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    phase_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    digest = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    accepted = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_artifacts", x => new { x.run_id, x.phase_key, x.attempt });
                    table.ForeignKey(
                        name: "fk_run_artifacts_artifact_blobs_digest",
                        column: x => x.digest,
                        principalTable: "artifact_blobs",
                        principalColumn: "digest",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_run_artifacts_digest",
                table: "run_artifacts",
                column: "digest");

            migrationBuilder.CreateIndex(
                name: "ix_run_deadlines_due_at",
                table: "run_deadlines",
                column: "due_at");

            migrationBuilder.CreateIndex(
                name: "ix_run_events_run_id_idempotency_key",
                table: "run_events",
                columns: new[] { "run_id", "idempotency_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_created_at_run_id",
                table: "runs",
                columns: new[] { "created_at", "run_id" });

            migrationBuilder.CreateIndex(
                name: "ix_runs_state",
                table: "runs",
                column: "state");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "run_artifacts");

            migrationBuilder.DropTable(
                name: "run_deadlines");

            migrationBuilder.DropTable(
                name: "run_events");

            migrationBuilder.DropTable(
                name: "runs");

            migrationBuilder.DropTable(
                name: "artifact_blobs");
        }
    }
}
