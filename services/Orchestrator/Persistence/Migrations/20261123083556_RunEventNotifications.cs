using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RunMesh.Orchestrator.Persistence.Migrations
{
    /// <summary>
    /// <c>NOTIFY run_events, '&lt;run id&gt;'</c> for every appended event, delivered when the appending transaction
    /// commits (Postgres folds identical notifications of one transaction into one). Event streams listen for it
    /// (<c>RunEventSignals</c>) instead of polling.
    /// </summary>
    public partial class RunEventNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION notify_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('run_events', NEW.run_id::text);
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER run_events_notify AFTER INSERT ON run_events
                    FOR EACH ROW EXECUTE FUNCTION notify_run_event();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER run_events_notify ON run_events;
                DROP FUNCTION notify_run_event();
                """);
        }
    }
}
