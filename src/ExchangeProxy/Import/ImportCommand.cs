using System.Text;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>
/// <c>--import-haproxy PATH [--out PATH]</c>: converts, checks the result exactly as <c>--check-config</c> would, and only
/// then writes it. Without <c>--out</c> the JSON goes to standard output and the report to standard error, so it can be
/// piped; with it the report goes to standard output. An existing file is never overwritten.
/// </summary>
public static class ImportCommand
{
    public static async Task<int> RunAsync(string haproxyPath, string? outPath, TextWriter output, TextWriter error)
    {
        if (!File.Exists(haproxyPath))
        {
            await error.WriteLineAsync($"{haproxyPath}: no such file");
            return 1;
        }

        if (outPath is not null && (File.Exists(outPath) || Directory.Exists(outPath)))
        {
            await error.WriteLineAsync($"{outPath} already exists; ExchangeProxy does not overwrite it (it may be your working configuration): "
                + "name another --out file, or move this one away first. Nothing was written.");
            return 1;
        }

        ImportResult result;
        try
        {
            result = HaproxyImporter.Import(await File.ReadAllTextAsync(haproxyPath), Path.GetDirectoryName(Path.GetFullPath(haproxyPath))!);
        }
        catch (HaproxyImportException e)
        {
            await error.WriteLineAsync($"{haproxyPath}:{e.Line}: {e.Message}");
            await error.WriteLineAsync("Nothing was written.");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{haproxyPath}: {e.Message}");
            return 1;
        }

        var json = result.ToJson(haproxyPath);
        var report = result.Report.Format(haproxyPath);
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var check = await ConfigCheck.RunAsync(configuration, checkListenerCertificates: true);
        if (check.Model is null)
        {
            await error.WriteAsync(report);
            await error.WriteLineAsync($"The converted configuration fails the proxy's validation ({check.Errors.Count} error(s)); nothing was written:");
            foreach (var problem in check.Errors)
            {
                await error.WriteLineAsync($"  {problem}");
            }

            return 1;
        }

        if (outPath is null)
        {
            await output.WriteAsync(json);
            await error.WriteAsync(report);
            return 0;
        }

        // Written beside the target and moved into place, so no half-written file is ever seen under its name.
        var temporary = outPath + ".import-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(temporary, json);
        try
        {
            File.Move(temporary, outPath, overwrite: false);
        }
        catch (IOException e)
        {
            File.Delete(temporary);
            await error.WriteLineAsync($"{outPath}: {e.Message} Nothing was written.");
            return 1;
        }

        await output.WriteAsync(report);
        await output.WriteLineAsync($"Wrote {outPath} ({check.Model.Servers.Count} servers, {check.Model.Services.Count} services, {check.Model.TcpServices.Count} layer-4 listeners and pools); start with: ExchangeProxy --config {outPath}");
        return 0;
    }
}
