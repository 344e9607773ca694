namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Tests that run `dotnet run` or `dotnet publish` on the project: one at a time, as they share its obj/.</summary>
[CollectionDefinition(Name)]
public sealed class BuildsTheProject
{
    public const string Name = "builds the project";
}
