using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChildRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "parent_run_id",
                table: "runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "parent_run_id",
                table: "run_aliases",
                type: "uuid",
                nullable: true);

            // Runs admitted before the column existed keep their parent in the definition.
            migrationBuilder.Sql("UPDATE runs SET parent_run_id = (definition->>'parentRunId')::uuid WHERE definition->>'parentRunId' IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_runs_parent_run_id",
                table: "runs",
                column: "parent_run_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_runs_parent_run_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "parent_run_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "parent_run_id",
                table: "run_aliases");
        }
    }
}
