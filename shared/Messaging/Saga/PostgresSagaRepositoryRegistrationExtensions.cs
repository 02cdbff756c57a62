using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Saga;

/// <summary>
/// <c>x.AddSagaStateMachine&lt;TMachine, TSaga&gt;().PostgresRepository(r =&gt; r.ExistingDbContext&lt;TDb&gt;())</c> — the
/// counterpart of MassTransit.EntityFrameworkCore's
/// <c>.EntityFrameworkRepository(r =&gt; { r.ExistingDbContext&lt;TDb&gt;(); r.UsePostgres(); })</c>.
/// </summary>
public static class PostgresSagaRepositoryRegistrationExtensions
{
    /// <summary>Stores <typeparamref name="TSaga"/> in PostgreSQL through EF Core, with row locks.</summary>
    public static ISagaRegistrationConfigurator<TSaga> PostgresRepository<TSaga>(
        this ISagaRegistrationConfigurator<TSaga> configurator, Action<PostgresSagaRepositoryConfigurator<TSaga>> configure)
        where TSaga : class, ISaga
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(configure);
        var repository = new PostgresSagaRepositoryConfigurator<TSaga>();
        configure(repository);
        return configurator.Repository(repository.Register);
    }
}

/// <summary>Chooses the DbContext a Postgres saga repository uses.</summary>
public sealed class PostgresSagaRepositoryConfigurator<TSaga>
    where TSaga : class, ISaga
{
    private Action<ISagaRepositoryRegistrationConfigurator<TSaga>>? _register;

    /// <summary>
    /// Uses the scoped <typeparamref name="TDbContext"/> already registered in the container (the service's own
    /// DbContext, which maps <typeparamref name="TSaga"/>), so a consumer, the saga and the outbox share one
    /// DbContext and one transaction.
    /// </summary>
    public void ExistingDbContext<TDbContext>()
        where TDbContext : DbContext =>
        _register = services =>
        {
            services.RegisterLoadSagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga, TDbContext>>();
            services.RegisterQuerySagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga, TDbContext>>();
            services.RegisterSagaRepository<TSaga, DbContext, SagaConsumeContextFactory<DbContext, TSaga>,
                PostgresSagaRepositoryContextFactory<TSaga, TDbContext>>();
        };

    internal void Register(ISagaRepositoryRegistrationConfigurator<TSaga> services) =>
        (_register ?? throw new InvalidOperationException(
            $"Choose the DbContext of the {typeof(TSaga).Name} repository: PostgresRepository(r => r.ExistingDbContext<TDb>())."))(services);
}
