using BenchmarkDotNet.Running;
using ExchangeProxy.Benchmarks;

// Not run by CI. dotnet run -c Release --project tests/ExchangeProxy.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(StickTableBenchmarks).Assembly).Run(args);
