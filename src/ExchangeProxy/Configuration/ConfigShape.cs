using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace ExchangeProxy.Configuration;

/// <summary>
/// Checks every key and value against the options classes before binding, naming the full key. The binder
/// itself says neither where an unknown key is nor, inside a list, that it dropped an item it could not
/// convert (a server with "Weight": "heavy" would silently vanish).
/// </summary>
public static class ConfigShape
{
    public static IEnumerable<ConfigError> Check(IConfigurationSection section, Type type)
    {
        var leaf = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(leaf))
        {
            if (section.Value is { Length: > 0 } value && !Converts(value, leaf))
            {
                yield return new ConfigError(section.Path, $"'{value}' is not a valid {Describe(leaf)}");
            }

            yield break;
        }

        var element = ElementType(type);
        foreach (var child in section.GetChildren())
        {
            var childType = element ?? type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
            if (childType is null)
            {
                yield return new ConfigError(child.Path, $"unknown key '{child.Key}'; expected one of: "
                    + string.Join(", ", type.GetProperties().Select(p => p.Name)));
                continue;
            }

            foreach (var error in Check(child, childType))
            {
                yield return error;
            }
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);

    private static bool Converts(string value, Type type)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) =>
        type.IsEnum ? "value (" + string.Join(", ", Enum.GetNames(type)) + ")"
        : type == typeof(TimeSpan) ? "duration (hh:mm:ss)"
        : type == typeof(bool) ? "boolean (true or false)"
        : type.Name.ToLower(CultureInfo.InvariantCulture) switch { "int32" or "int64" => "whole number", var name => name };

    /// <summary>The item type of a list or the value type of a string-keyed dictionary; null for anything else.</summary>
    private static Type? ElementType(Type type)
    {
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        var arguments = type.GetGenericArguments();
        return definition == typeof(List<>) ? arguments[0]
            : definition == typeof(Dictionary<,>) && arguments[0] == typeof(string) ? arguments[1]
            : null;
    }
}
