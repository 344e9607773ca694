namespace ExchangeProxy.Http;

/// <summary>
/// The user name of an OWA or ECP sign-in form post (<c>POST /owa/auth.owa</c>, field <c>username</c>): the form is
/// small, so it is read before forwarding and forwarded from the copy. The password field is never kept.
/// </summary>
public sealed class FormSignIn(string user)
{
    private const long MaxFormBytes = 16 * 1024;

    public string User { get; } = user;

    public static async Task ReadAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (HttpMethods.IsPost(request.Method)
            && request.Path.Value?.EndsWith("/auth.owa", StringComparison.OrdinalIgnoreCase) == true
            && request.HasFormContentType
            && request.ContentLength is > 0 and <= MaxFormBytes)
        {
            request.EnableBuffering();
            try
            {
                var form = await request.ReadFormAsync(context.RequestAborted);
                if (form["username"] is [{ Length: > 0 } user, ..])
                {
                    context.Features.Set(new FormSignIn(user));
                }
            }
            catch (InvalidDataException)
            {
                // A form ASP.NET Core cannot read (too many fields, a bad encoding) is the server's to judge.
            }

            request.Body.Position = 0;
        }

        await next();
    }
}
