using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunRetryRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "run_retry_requests",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_retry_requests", x => new { x.run_id, x.generation });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "run_retry_requests");
        }
    }
}
