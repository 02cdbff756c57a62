using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <summary>
    /// Drops MassTransit's indexes on <c>outbox_message.enqueue_time</c> and <c>expiration_time</c>: no query reads
    /// them, and every stored message paid for both on insert and on delete (docs/persistence.md).
    /// </summary>
    public partial class OutboxMessageIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_message_enqueue_time",
                table: "outbox_message");

            migrationBuilder.DropIndex(
                name: "ix_outbox_message_expiration_time",
                table: "outbox_message");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_outbox_message_enqueue_time",
                table: "outbox_message",
                column: "enqueue_time");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_message_expiration_time",
                table: "outbox_message",
                column: "expiration_time");
        }
    }
}
