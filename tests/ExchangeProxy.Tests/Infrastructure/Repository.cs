namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>The repository's root, found from the test binaries, for tests that read its files (README, Dockerfile).</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ExchangeProxy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ExchangeProxy.sln not found above " + AppContext.BaseDirectory);
    }
}
