// The Innomaint simulator, by hand:
//   dotnet run --project src/AssetSync.Simulator -- --Assets 500 --Port 5080 --FaultyRate 0.1 --NotFoundRate 0.01
// It prints its base URL on the first line (and to --UrlFile when given), then serves until Ctrl+C.
using AssetSync.Simulator;

var config = new ConfigurationBuilder().AddCommandLine(args).Build();
var options = new SimulatorOptions();
config.Bind(options);
var port = config.GetValue("Port", 0);

var (app, baseUrl) = await SimulatorHost.StartAsync(options, port);
Console.WriteLine(baseUrl);
if (config["UrlFile"] is { Length: > 0 } urlFile)
{
    await File.WriteAllTextAsync(urlFile + ".tmp", baseUrl);
    File.Move(urlFile + ".tmp", urlFile, overwrite: true);
}
await app.WaitForShutdownAsync();
