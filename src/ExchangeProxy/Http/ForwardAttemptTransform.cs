using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace ExchangeProxy.Http;

/// <summary>Hands each generated route's <see cref="ForwardAttempt"/> to the message YARP sends, where <see cref="RetryingHandler"/> finds it.</summary>
public sealed class ForwardAttemptTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(YarpModel.ServiceMetadata) == true)
        {
            context.AddRequestTransform(static transform =>
            {
                if (transform.HttpContext.Features.Get<ForwardAttempt>() is { } attempt)
                {
                    transform.ProxyRequest.Options.Set(ForwardAttempt.Key, attempt);
                }

                return ValueTask.CompletedTask;
            });
        }
    }
}
