using System.Reflection;
using System.Reflection.Emit;
using Partitioner.Core;

namespace Partitioner.Tests.Core;

/// <summary>
/// Core's modules depend on each other in one direction: the decider routes to the phase modules, the phase
/// modules decide, and the state records (the lock ledger among them) record facts and return what happened
/// without calling back. The graph is read from the compiled assembly (signatures, fields and every method body's
/// IL), so a call that reintroduces a cycle fails here whatever the source looks like.
/// </summary>
public sealed class ModuleDependencyTests
{
    [Fact]
    public void CoreTypes_FormNoDependencyCycle()
    {
        var graph = CoreDependencies.Of(typeof(Decider).Assembly);

        var cycles = CoreDependencies.Cycles(graph);

        Assert.True(cycles.Count == 0, $"Core has {cycles.Count} dependency cycle(s): " + string.Join("; ", cycles.Select(cycle => Describe(graph, cycle))));
    }

    [Fact]
    public void DependencyGraph_SeesCallsFieldsAndSignaturesAcrossCore()
    {
        // The graph must see what the cycle check relies on, or the check above would pass on an empty graph.
        var graph = CoreDependencies.Of(typeof(Decider).Assembly);

        Assert.Contains("LockLedger", graph["MemberState"]); // a property's type
        Assert.Contains("MemberState", graph["Decider"]); // a parameter's type
        Assert.Contains("ZnodePaths", graph["StabilityWait"]); // a call in a method body
        Assert.Contains("StabilityWait", graph["Allocation"]); // a call in a method body
        Assert.Contains("FailedPhase", graph["MemberState"]); // a type made in a property initializer
        Assert.Contains("OwnNode", graph["LockLedger"]); // a generic argument of a property's type
        Assert.DoesNotContain("Decider", graph.Keys.Where(type => type != "Decider").SelectMany(type => graph[type]));
    }

    [Fact]
    public void Cycles_FindsEveryStronglyConnectedGroupAndNothingInADag()
    {
        var graph = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            ["A"] = new HashSet<string> { "B" },
            ["B"] = new HashSet<string> { "C", "D" },
            ["C"] = new HashSet<string> { "A" },
            ["D"] = new HashSet<string> { "E" },
            ["E"] = new HashSet<string> { "D" },
            ["F"] = new HashSet<string> { "A" },
        };
        var dag = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            ["A"] = new HashSet<string> { "B", "C" },
            ["B"] = new HashSet<string> { "C" },
            ["C"] = new HashSet<string>(),
        };

        var cycles = CoreDependencies.Cycles(graph);

        Assert.Equal(["A, B, C", "D, E"], cycles.Select(cycle => string.Join(", ", cycle)).Order(StringComparer.Ordinal));
        Assert.Empty(CoreDependencies.Cycles(dag));
    }

    /// <summary>A group and its edges, so that the message says which uses to remove.</summary>
    private static string Describe(IReadOnlyDictionary<string, IReadOnlySet<string>> graph, IReadOnlyList<string> cycle) =>
        "{" + string.Join(", ", cycle) + "} with the uses "
        + string.Join(", ", cycle.SelectMany(from => graph[from].Where(cycle.Contains).Order(StringComparer.Ordinal).Select(to => $"{from} -> {to}")));
}

/// <summary>
/// The dependency graph of an assembly's own types, each nested or compiler-generated type (a closure, an
/// iterator) counted as the top-level type that declares it, and the strongly connected groups in it.
/// </summary>
internal static class CoreDependencies
{
    private const BindingFlags Everything =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    /// <summary>Top-level type name to the names of the other top-level types of the assembly it uses.</summary>
    public static Dictionary<string, IReadOnlySet<string>> Of(Assembly assembly)
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var owner = TopLevel(type);
            if (owner.Name.StartsWith('<'))
            {
                continue;
            }

            if (!graph.TryGetValue(owner.Name, out var uses))
            {
                graph[owner.Name] = uses = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var used in UsedBy(type).Where(used => used.Assembly == assembly).Select(TopLevel).Distinct())
            {
                if (used != owner && !used.Name.StartsWith('<'))
                {
                    uses.Add(used.Name);
                }
            }
        }

        return graph.ToDictionary(pair => pair.Key, pair => (IReadOnlySet<string>)pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Every group of two or more types that reach each other (Tarjan's algorithm), each sorted by name.</summary>
    public static List<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlySet<string>> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var groups = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (string next in graph.TryGetValue(node, out var edges) ? edges.Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);

                if (group.Count > 1)
                {
                    groups.Add([.. group.Order(StringComparer.Ordinal)]);
                }
            }
        }

        foreach (string node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return groups;
    }

    private static Type TopLevel(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
    }

    /// <summary>The types <paramref name="type"/> names: its base and interfaces, its members' signatures, and what its method bodies touch.</summary>
    private static IEnumerable<Type> UsedBy(Type type)
    {
        var used = new List<Type>();
        if (type.BaseType is { } baseType)
        {
            used.Add(baseType);
        }

        used.AddRange(type.GetInterfaces());
        foreach (var field in type.GetFields(Everything))
        {
            used.Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(Everything))
        {
            used.Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info)
            {
                used.Add(info.ReturnType);
            }

            used.AddRange(method.GetParameters().Select(parameter => parameter.ParameterType));
            used.AddRange(InBody(method));
        }

        return used.SelectMany(Unwrap);
    }

    /// <summary>A type with its element type and generic arguments, recursively.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType && type.GetElementType() is { } element)
        {
            return Unwrap(element);
        }

        if (type.IsGenericParameter)
        {
            return [];
        }

        return type.IsGenericType ? [type, .. type.GetGenericArguments().SelectMany(Unwrap)] : [type];
    }

    /// <summary>The types whose members, fields or tokens a method body's IL refers to.</summary>
    private static IEnumerable<Type> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int at = 0;
        while (at < il.Length)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var code = OpCodesByValue[value];
            at += code.Size;
            if (code.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, at);
                foreach (var type in Resolve(method.Module, token, typeArguments, methodArguments))
                {
                    yield return type;
                }
            }

            at += OperandSize(code, il, at);
        }
    }

    private static IEnumerable<Type> Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        var member = module.ResolveMember(token, typeArguments, methodArguments);
        switch (member)
        {
            case Type type:
                yield return type;
                break;
            case MethodBase called:
                if (called.DeclaringType is { } owner)
                {
                    yield return owner;
                }

                if (called.IsGenericMethod)
                {
                    foreach (var argument in called.GetGenericArguments())
                    {
                        yield return argument;
                    }
                }

                break;
            case FieldInfo field:
                if (field.DeclaringType is { } fieldOwner)
                {
                    yield return fieldOwner;
                }

                yield return field.FieldType;
                break;
        }
    }

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
