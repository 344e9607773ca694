using ExchangeProxy.Protection;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace ExchangeProxy.Http;

/// <summary>
/// The server gets the path the edge read (<see cref="NormalizedTarget.ForwardPath"/>): dot segments resolved, the
/// client's own percent-encoding kept. YARP would build it from the decoded path and encode '%' again
/// (an OWA item id's <c>%2F</c> would arrive as <c>%252F</c>). A route whose own transforms changed the path keeps theirs.
/// </summary>
public sealed class ForwardedTargetTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) =>
        context.AddRequestTransform(static transform =>
        {
            var http = transform.HttpContext;
            if (http.Features.Get<NormalizedTarget>() is { } target && transform.Path == http.Request.Path)
            {
                // Byte for byte: System.Uri would otherwise decode %41 and the like.
                transform.ProxyRequest.RequestUri = new Uri(
                    string.Concat(transform.DestinationPrefix.AsSpan().TrimEnd('/'), target.ForwardPath, transform.Query.QueryString.Value),
                    new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            }

            return ValueTask.CompletedTask;
        });
}
