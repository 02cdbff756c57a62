using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace RunMesh.Approval.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ApprovalRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "approval_requests",
                columns: table => new
                {
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    idempotency_key = table.Column<string>(type: "character varying(600)", maxLength: 600, nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    phase_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    gate = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    artifact_digest = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    artifact_preview = table.Column<string>(type: "jsonb", nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    state = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    decided_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    comment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    decided_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_approval_requests", x => x.request_id);
                });

            migrationBuilder.CreateTable(
                name: "run_endings",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_endings", x => x.run_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_approval_requests_expires_at",
                table: "approval_requests",
                column: "expires_at",
                filter: "state = 'pending' AND expires_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_approval_requests_idempotency_key",
                table: "approval_requests",
                column: "idempotency_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_approval_requests_run_id_state",
                table: "approval_requests",
                columns: new[] { "run_id", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_approval_requests_seq",
                table: "approval_requests",
                column: "seq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_approval_requests_state_seq",
                table: "approval_requests",
                columns: new[] { "state", "seq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "approval_requests");

            migrationBuilder.DropTable(
                name: "run_endings");
        }
    }
}
