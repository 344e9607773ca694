using ExchangeProxy.Hosting;

return await ProxyProgram.RunAsync(args, Console.Out, Console.Error);
