using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Report.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Reports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "reports",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    parent_run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    template_name = table.Column<string>(type: "text", nullable: false),
                    template_version = table.Column<int>(type: "integer", nullable: false),
                    manifest_digest = table.Column<string>(type: "character varying(71)", maxLength: 71, nullable: false),
                    manifest = table.Column<string>(type: "json", nullable: false),
                    report_json = table.Column<string>(type: "json", nullable: false),
                    report_markdown = table.Column<string>(type: "text", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    stored_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reports", x => new { x.run_id, x.generation });
                });

            migrationBuilder.CreateIndex(
                name: "ix_reports_parent_run_id",
                table: "reports",
                column: "parent_run_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reports");
        }
    }
}
