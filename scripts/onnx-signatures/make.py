# Writes src/engine/onnx/opSignatures.ts: the type signature of every version of every operator of the default ONNX
# domain (inputs and outputs, optional and variadic ones included, each as its type variable or fixed element type),
# read from ONNX's operator changelog, docs/Changelog.md, which ONNX generates from its operator schemas.
# src/engine/onnx/elemTypes.ts binds the variables to element types. Run (build time only):
#   python3 scripts/onnx-signatures/make.py path/to/onnx/docs/Changelog.md [onnx-version]
# With Python's `onnx` package importable, the versions it knows are checked against onnx.defs's schemas too.
import html, re, sys

# The schemas' element type names (`tensor(int64)`) with their TensorProto.DataType numbers (onnx/onnx.proto).
ELEM_NAMES = {'float': 1, 'uint8': 2, 'int8': 3, 'uint16': 4, 'int16': 5, 'int32': 6, 'int64': 7, 'string': 8, 'bool': 9,
              'float16': 10, 'double': 11, 'uint32': 12, 'uint64': 13, 'complex64': 14, 'complex128': 15, 'bfloat16': 16,
              'float8e4m3fn': 17, 'float8e4m3fnuz': 18, 'float8e5m2': 19, 'float8e5m2fnuz': 20, 'uint4': 21, 'int4': 22,
              'float4e2m1': 23, 'float8e8m0': 24, 'uint2': 25, 'int2': 26}


def parse(text):
    """{op: [(since, inputs, outputs, constraints)]} for the default domain; inputs/outputs are (typeStr, flags)."""
    default = text.split('\n# ai.onnx.preview', 1)[0]
    ops = {}
    for m in re.finditer(r'^### <a name="([A-Za-z0-9_]+)-(\d+)"></a>', default, re.M):
        name, since = m.group(1), int(m.group(2))
        end = default.find('\n### <a name=', m.end())
        body = default[m.end():end if end >= 0 else len(default)]
        def section(title):
            s = re.search(r'^#### ' + title + r'[^\n]*\n(.*?)(?=^#### |\Z)', body, re.M | re.S)
            return s.group(1) if s else ''
        def formals(title):
            out = []
            for f in re.finditer(r'<dt><tt>([^<]*)</tt>(?: \(([^)]*)\))? : ([^<]*)</dt>', section(title)):
                out.append((html.unescape(f.group(3)).strip(), set(x.strip() for x in (f.group(2) or '').split(','))))
            return out
        constraints = {}
        for c in re.finditer(r'<dt><tt>([^<]*)</tt> : ([^<]*)</dt>', section('Type Constraints')):
            constraints[c.group(1)] = [t.strip() for t in html.unescape(c.group(2)).split(',')]
        if '(deprecated)' in default[m.start():default.find('\n', m.start())] and not section('Inputs'):
            continue  # a deprecation keeps the last signature (onnx.defs lists it again); the changelog shows none
        ops.setdefault(name, []).append((since, formals('Inputs'), formals('Outputs'), constraints))
    return ops


def token(type_str, flags, constraints):
    """A formal's type as one word: an element type name, a type variable, or ? (not a tensor, or per position)."""
    if 'heterogeneous' in flags:
        t = '?'
    elif type_str in constraints:
        allowed = constraints[type_str]
        tensors = [a for a in allowed if a.startswith('tensor(')]
        if not tensors:
            t = '?'
        elif len(allowed) == 1:
            t = tensors[0][7:-1]
        else:
            t = type_str
    elif type_str.startswith('tensor(') and type_str[7:-1] in ELEM_NAMES:
        t = type_str[7:-1]
    else:
        t = '?'
    if t not in ELEM_NAMES and t != '?' and t not in constraints:
        raise SystemExit(f'unknown type {type_str}')
    return t + ('*' if 'variadic' in flags else '')


def signatures(ops):
    table = {}
    for name in sorted(ops):
        rows, last = [], None
        for since, inputs, outputs, constraints in sorted(ops[name], key=lambda r: r[0]):
            row = (' '.join(token(t, f, constraints) for t, f in inputs), ' '.join(token(t, f, constraints) for t, f in outputs))
            if row != last: rows.append((since,) + row)
            last = row
        table[name] = rows
    return table


def check_against_onnx_defs(table):
    try:
        from onnx import defs
    except ImportError:
        return 'onnx not importable: not checked against onnx.defs'
    import onnx
    for name, number in ELEM_NAMES.items():
        if hasattr(onnx.TensorProto, name.upper()) and getattr(onnx.TensorProto, name.upper()) != number:
            raise SystemExit(f'{name} is {getattr(onnx.TensorProto, name.upper())} in onnx, {number} here')
    checked, differ = 0, []
    for s in defs.get_all_schemas_with_history():
        if s.domain not in ('', 'ai.onnx'): continue
        constraints = {c.type_param_str: list(c.allowed_type_strs) for c in s.type_constraints}
        def flags(p):
            f = set()
            if p.option == defs.OpSchema.FormalParameterOption.Variadic:
                f.add('variadic')
                if not p.isHomogeneous: f.add('heterogeneous')
            return f
        want = (' '.join(token(p.typeStr, flags(p), constraints) for p in s.inputs),
                ' '.join(token(p.typeStr, flags(p), constraints) for p in s.outputs))
        rows = [r for r in table.get(s.name, []) if r[0] <= s.since_version]
        if not rows or rows[-1][1:] != want:
            differ.append(f'{s.name}-{s.since_version}: changelog {rows[-1][1:] if rows else None}, onnx.defs {want}')
        checked += 1
    # An older onnx may carry schema bugs fixed since (GridSample-16's grid and Y in onnx 1.12): read and judge.
    return f'{checked - len(differ)} of {checked} schema versions agree with onnx.defs (onnx {__import__("onnx").__version__})' + ''.join('\n  ' + d for d in differ)


def main():
    src = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else 'see Changelog.md'
    table = signatures(parse(open(src, encoding='utf8').read()))
    print(check_against_onnx_defs(table), file=sys.stderr)
    lines = [
        '/**',
        ' * Generated by scripts/onnx-signatures/make.py from ONNX\'s docs/Changelog.md (onnx ' + version + '); do not edit.',
        ' * For each operator of the default domain, each version whose signature changed: [since, inputs, outputs], each',
        ' * formal one word: an element type (`int64`), a type variable of the schema (`T`), or `?` (not a tensor, or a type',
        ' * per position); `*` marks a variadic formal. Optional formals are listed like the others.',
        ' */',
        'export type OpSignature = readonly [since: number, inputs: string, outputs: string];',
        '',
        '/** TensorProto.DataType of each element type name the signatures use. */',
        'export const SCHEMA_ELEM_TYPES: Readonly<Record<string, number>> = {',
        *(f'  {name}: {number},' for name, number in ELEM_NAMES.items()),
        '};',
        '',
        'export const ONNX_SIGNATURES: Readonly<Record<string, readonly OpSignature[]>> = {',
    ]
    for name, rows in table.items():
        lines.append(f'  {name}: [' + ', '.join(f"[{s}, '{i}', '{o}']" for s, i, o in rows) + '],')
    lines.append('};')
    lines.append('')
    out = 'src/engine/onnx/opSignatures.ts'
    open(out, 'w').write('\n'.join(lines))
    print(f'{out}: {len(table)} operators, {sum(len(r) for r in table.values())} signatures', file=sys.stderr)


main()
