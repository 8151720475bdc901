using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Partitioner.Hosting;

/// <summary>Registers a hosted <see cref="Partitioner.ZooKeeper.SetPartitioner"/> member.</summary>
public static class SetPartitionerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a member of a party whose options come from <paramref name="configuration"/> (keys named as
    /// <see cref="SetPartitionerHostOptions"/>'s properties, such as <c>Partitioner:Path</c> and
    /// <c>Partitioner:Items:0</c>), validated when the host starts; the host's <see cref="ZooKeeperConnection"/>;
    /// the <see cref="SetPartitionerService"/> that runs <typeparamref name="TWork"/> (scoped: a new one per
    /// acquired set); and <see cref="SetPartitionerHealthCheck"/> for <c>AddHealthChecks().AddCheck</c>.
    /// </summary>
    /// <typeparam name="TWork">The work on one acquired set.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration section of the options, such as <c>builder.Configuration.GetSection("Partitioner")</c>.</param>
    /// <param name="configure">Changes the options after binding (items computed in code, for instance); none when null.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="InvalidOperationException">A member was already added to <paramref name="services"/>.</exception>
    public static IServiceCollection AddSetPartitioner<TWork>(
        this IServiceCollection services, IConfiguration configuration, Action<SetPartitionerHostOptions>? configure = null)
        where TWork : class, ISetPartitionerWork =>
        AddFromConfiguration<TWork>(services, configuration, configure, perItem: false);

    /// <summary>
    /// Adds a member of a party whose options are set in code by <paramref name="configure"/>, validated when the host
    /// starts (errors name keys such as <c>SetPartitionerHostOptions:Path</c>); otherwise as the configuration overload.
    /// </summary>
    /// <typeparam name="TWork">The work on one acquired set.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="InvalidOperationException">A member was already added to <paramref name="services"/>.</exception>
    public static IServiceCollection AddSetPartitioner<TWork>(this IServiceCollection services, Action<SetPartitionerHostOptions> configure)
        where TWork : class, ISetPartitionerWork =>
        AddFromCode<TWork>(services, configure, perItem: false);

    /// <summary>
    /// Adds a member of a party whose options come from <paramref name="configuration"/>, as
    /// <see cref="AddSetPartitioner{TWork}(IServiceCollection, IConfiguration, Action{SetPartitionerHostOptions})"/>,
    /// whose work is per item: the <see cref="SetPartitionerService"/> resolves a <typeparamref name="TWork"/> from a new
    /// scope for every item the member comes to own, and disposes the scope when that item's work returns. It runs in
    /// both rebalance modes; <see cref="SetPartitionerHostOptions.Rebalance"/> = <see cref="Partitioner.Core.RebalanceMode.Cooperative"/>
    /// (with <see cref="SetPartitionerHostOptions.PartitionFunction"/> = <c>"sticky"</c>) stops only the items that move.
    /// </summary>
    /// <typeparam name="TWork">The work on one owned item.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration section of the options, such as <c>builder.Configuration.GetSection("Partitioner")</c>.</param>
    /// <param name="configure">Changes the options after binding; none when null.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="InvalidOperationException">A member was already added to <paramref name="services"/>.</exception>
    public static IServiceCollection AddSetPartitionerItems<TWork>(
        this IServiceCollection services, IConfiguration configuration, Action<SetPartitionerHostOptions>? configure = null)
        where TWork : class, ISetPartitionerItemWork =>
        AddFromConfiguration<TWork>(services, configuration, configure, perItem: true);

    /// <summary>
    /// Adds a member of a party whose options are set in code by <paramref name="configure"/>, with per-item work;
    /// otherwise as the configuration overload of <see cref="AddSetPartitionerItems{TWork}(IServiceCollection, IConfiguration, Action{SetPartitionerHostOptions})"/>.
    /// </summary>
    /// <typeparam name="TWork">The work on one owned item.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="InvalidOperationException">A member was already added to <paramref name="services"/>.</exception>
    public static IServiceCollection AddSetPartitionerItems<TWork>(this IServiceCollection services, Action<SetPartitionerHostOptions> configure)
        where TWork : class, ISetPartitionerItemWork =>
        AddFromCode<TWork>(services, configure, perItem: true);

    // The public overloads differ only in the work's kind; the parameters keep their names here so that a null
    // argument is named as the caller's overload names it.
    private static IServiceCollection AddFromConfiguration<TWork>(
        IServiceCollection services, IConfiguration configuration, Action<SetPartitionerHostOptions>? configure, bool perItem)
        where TWork : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddOptions<SetPartitionerHostOptions>().Bind(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        var prefix = configuration is IConfigurationSection section ? section.Path : SetPartitionerHostOptionsValidator.CodePrefix;
        return AddCore<TWork>(services, builder, prefix, perItem);
    }

    private static IServiceCollection AddFromCode<TWork>(IServiceCollection services, Action<SetPartitionerHostOptions> configure, bool perItem)
        where TWork : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddOptions<SetPartitionerHostOptions>().Configure(configure);
        return AddCore<TWork>(services, builder, SetPartitionerHostOptionsValidator.CodePrefix, perItem);
    }

    private static IServiceCollection AddCore<TWork>(
        IServiceCollection services, OptionsBuilder<SetPartitionerHostOptions> builder, string prefix, bool perItem)
        where TWork : class
    {
        if (services.Any(d => d.ServiceType == typeof(SetPartitionerService)))
        {
            // A second call would bind the same options into a second hosted registration of the one service.
            throw new InvalidOperationException(
                "AddSetPartitioner or AddSetPartitionerItems was already called on these services; a host runs one member.");
        }

        var work = new HostedWork(perItem, typeof(TWork));
        services.AddSingleton(work);

        builder.ValidateOnStart();
        services.AddSingleton<IValidateOptions<SetPartitionerHostOptions>>(new SetPartitionerHostOptionsValidator(prefix, work));
        services.TryAddSingleton(provider => new ZooKeeperConnection(
            provider.GetRequiredService<IOptions<SetPartitionerHostOptions>>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>()));
        services.TryAddSingleton<SetPartitionerService>();
        services.AddHostedService(provider => provider.GetRequiredService<SetPartitionerService>());
        services.TryAddSingleton<SetPartitionerHealthCheck>();
        services.TryAddScoped(perItem ? typeof(ISetPartitionerItemWork) : typeof(ISetPartitionerWork), typeof(TWork));
        return services;
    }
}
