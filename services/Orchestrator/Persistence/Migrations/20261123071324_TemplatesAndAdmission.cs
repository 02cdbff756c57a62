using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TemplatesAndAdmission : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "labels",
                table: "runs",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<string>(
                name: "requested_by",
                table: "runs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "template_name",
                table: "runs",
                type: "character varying(63)",
                maxLength: 63,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "template_version",
                table: "runs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "idempotency_keys",
                columns: table => new
                {
                    identity = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    request_hash = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    response_status = table.Column<int>(type: "integer", nullable: true),
                    response_body = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_keys", x => new { x.identity, x.key });
                });

            migrationBuilder.CreateTable(
                name: "input_bundle_claims",
                columns: table => new
                {
                    input_bundle_hash = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_input_bundle_claims", x => x.input_bundle_hash);
                });

            migrationBuilder.CreateTable(
                name: "run_aliases",
                columns: table => new
                {
                    alias_run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    published_generation = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_aliases", x => x.alias_run_id);
                });

            migrationBuilder.CreateTable(
                name: "templates",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    hash = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    canonical_json = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_templates", x => new { x.name, x.version });
                });

            migrationBuilder.CreateIndex(
                name: "ix_runs_labels",
                table: "runs",
                column: "labels")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_runs_template_name_template_version",
                table: "runs",
                columns: new[] { "template_name", "template_version" });

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_keys_expires_at",
                table: "idempotency_keys",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_input_bundle_claims_run_id",
                table: "input_bundle_claims",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_run_aliases_run_id",
                table: "run_aliases",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_templates_hash",
                table: "templates",
                column: "hash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "idempotency_keys");

            migrationBuilder.DropTable(
                name: "input_bundle_claims");

            migrationBuilder.DropTable(
                name: "run_aliases");

            migrationBuilder.DropTable(
                name: "templates");

            migrationBuilder.DropIndex(
                name: "ix_runs_labels",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "ix_runs_template_name_template_version",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "labels",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "requested_by",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "template_name",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "template_version",
                table: "runs");
        }
    }
}
