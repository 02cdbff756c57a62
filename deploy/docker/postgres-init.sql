-- RunMesh databases for the postgres container of docker-compose.yml.
--
-- The postgres image runs this once, as the superuser, when it initialises an EMPTY data
-- directory (mounted into /docker-entrypoint-initdb.d/). With an existing volume it is skipped:
-- `docker compose down -v` wipes the volume so that it runs again.
--
-- One database per owning service, each owned by its own LOGIN role (docs/architecture.md, Databases).
-- Owning the database lets the role create its schema objects: every service applies its own
-- EF Core migrations on start. No role may connect to another service's database.
--
-- DEV ONLY: each role's password is its own name (the same convention as deploy/local/).
-- The postgres port is not published to the host.

\set ON_ERROR_STOP on

CREATE ROLE runmesh_orchestrator LOGIN PASSWORD 'runmesh_orchestrator';
CREATE ROLE runmesh_approval     LOGIN PASSWORD 'runmesh_approval';
CREATE ROLE runmesh_report       LOGIN PASSWORD 'runmesh_report';
CREATE ROLE runmesh_planner      LOGIN PASSWORD 'runmesh_planner';

CREATE DATABASE runmesh_orchestrator OWNER runmesh_orchestrator;
CREATE DATABASE runmesh_approval     OWNER runmesh_approval;
CREATE DATABASE runmesh_report       OWNER runmesh_report;
CREATE DATABASE runmesh_planner      OWNER runmesh_planner;

-- By default every role may connect to every database; keep each service to its own.
REVOKE CONNECT, TEMPORARY ON DATABASE runmesh_orchestrator FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE runmesh_approval     FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE runmesh_report       FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE runmesh_planner      FROM PUBLIC;
