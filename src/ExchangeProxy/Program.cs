using ExchangeProxy.Hosting;

return await ProxyProgram.RunAsync(args, Console.In, Console.Out, Console.Error);
