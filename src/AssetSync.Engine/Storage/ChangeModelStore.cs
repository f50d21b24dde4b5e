using AssetSync.Freshness;
using Npgsql;
using NpgsqlTypes;
using static AssetSync.Storage.DbValues;

namespace AssetSync.Storage;

/// <summary>Fits the register's change model from its observations, keeps it (cmms_change_model), and reads it back.</summary>
internal sealed class ChangeModelStore(StoreConnections db)
{
    /// <summary>
    /// Fits the model to the register's observations now (one grouped scan of the state table) and, when
    /// <paramref name="save"/>, keeps it for the next run's order, status and reports. Null on a cold start: nothing observed yet.
    /// </summary>
    public ValueTask<ChangeRateModel?> FitAsync(bool save, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var groups = new List<ExposureGroup>();
                await using (var cmd = new NpgsqlCommand(FreshnessSql.ExposureGroups, conn))
                await using (var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        groups.Add(new ExposureGroup(reader.Int("change_count") ?? 0, reader.Double("exposure") ?? 0, reader.Long("assets") ?? 0));
                    }
                }
                var model = ChangeRateModel.Fit(groups);
                if (model is not null && save)
                {
                    await using var cmd = new NpgsqlCommand(FreshnessSql.SaveModel, conn);
                    cmd.Parameters.Add(Array(model.Rates, NpgsqlDbType.Double).Named("rates"));
                    cmd.Parameters.Add(Array(model.Weights, NpgsqlDbType.Double).Named("weights"));
                    cmd.Parameters.Add(Double(model.MinExposure).Named("min_exposure"));
                    cmd.Parameters.Add(Double(model.MaxExposure).Named("max_exposure"));
                    cmd.Parameters.Add(Long(model.ObservedAssets).Named("observed_assets"));
                    await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                return model;
            },
            ct
        );

    /// <summary>The model the latest batch run fitted (as it ended); null before the first one that had observations.</summary>
    public ValueTask<ChangeRateModel?> ReadAsync(CancellationToken ct) => db.WithConnection(ReadAsync, ct);

    /// <inheritdoc cref="ReadAsync(CancellationToken)"/>
    public static async Task<ChangeRateModel?> ReadAsync(NpgsqlConnection conn, CancellationToken token)
    {
        await using var cmd = new NpgsqlCommand(FreshnessSql.ReadModel, conn);
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        if (!await reader.ReadAsync(token).ConfigureAwait(false))
        {
            return null;
        }
        return new ChangeRateModel(
            reader.GetFieldValue<double[]>(reader.GetOrdinal("rates")),
            reader.GetFieldValue<double[]>(reader.GetOrdinal("weights")),
            reader.Double("min_exposure") ?? 0,
            reader.Double("max_exposure") ?? 0,
            reader.Long("observed_assets") ?? 0
        );
    }

    /// <summary>The parameters of <see cref="FreshnessSql.PosteriorKeys"/> named <paramref name="name"/>: the table and its shape.</summary>
    public static void AddPosteriorParameters(NpgsqlParameterCollection parameters, string name, PosteriorTable table)
    {
        parameters.Add(Array(table.Values, NpgsqlDbType.Double).Named(name));
        parameters.Add(
            Array(new[] { table.ExposureLogMin, table.ExposureLogStep, table.AgeLogMin, table.AgeLogStep }, NpgsqlDbType.Double)
                .Named(name + "_shape")
        );
    }

    /// <summary>The parameters of <see cref="FreshnessSql.Rate"/>, from <paramref name="model"/>.</summary>
    public static void AddRateParameters(NpgsqlParameterCollection parameters, ChangeRateModel model)
    {
        parameters.Add(Array(model.RateTable(), NpgsqlDbType.Double).Named("rate_table"));
        parameters.Add(Int(ChangeRateModel.TableChanges).Named("table_changes"));
        parameters.Add(Int(ChangeRateModel.TableBuckets).Named("table_buckets"));
        parameters.Add(Double(model.TableLogMin).Named("table_log_min"));
        parameters.Add(Double(model.TableLogStep).Named("table_log_step"));
        parameters.Add(Double(model.PriorMean).Named("prior_rate"));
    }
}
