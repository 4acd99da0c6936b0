// Which AWS API actions a Lambda handler's code can call, derived from the code itself: a call-graph
// walk with the TypeScript type checker from lambdas/handlers/<fn>.ts, collecting the AWS SDK
// Command classes (and lib-storage's Upload) the reachable code constructs, then mapping each to the
// IAM actions it needs. A role holding an action outside this set grants something its code never
// does (see shared-assertions.ts).
//
// Why a call graph and not the import graph: every handler imports handlers/runtime.ts, which builds
// a Route53Zone for all of them, and the sweeper imports ListingsTable, whose module also holds the
// census writes; the import graph (or a bundle: classes are not tree-shaken method by method) would
// say every function may change records. The walk follows what is actually called:
//   - every function, method, accessor, constructor or class-field initializer referenced from
//     reachable code (referenced, not only called: callbacks count), starting with the handler
//     module and the top-level statements of every module it imports (ESM runs them at load);
//   - `new C` or any value use of a class: its constructor, field initializers and base classes;
//   - a method reached through a class type also reaches the overrides in subclasses that are
//     instantiated anywhere in the walk; a member reached through an interface or type literal
//     reaches the same-named members of every instantiated class (rapid type analysis);
//   - type positions are ignored.
// It over-approximates (a reachable method may never run on a given input), never under-: what it
// does not find cannot be called, short of dynamic property access, which the lambdas do not use.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** SDK class name -> IAM actions (service prefix included). */
export const COMMAND_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // SES v2 (the public portal's mail: lambdas/handlers/public.ts).
  SendEmailCommand: ['ses:SendEmail'],
  // DynamoDB (document client and low-level client share the names).
  GetCommand: ['dynamodb:GetItem'],
  GetItemCommand: ['dynamodb:GetItem'],
  PutCommand: ['dynamodb:PutItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchGetItemCommand: ['dynamodb:BatchGetItem'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  BatchWriteItemCommand: ['dynamodb:BatchWriteItem'],
  // There is no IAM action for a transaction: each item is authorised as its own action
  // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
  TransactWriteCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  TransactWriteItemsCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  TransactGetCommand: ['dynamodb:GetItem'],
  TransactGetItemsCommand: ['dynamodb:GetItem'],
  // Route 53
  ChangeResourceRecordSetsCommand: ['route53:ChangeResourceRecordSets'],
  ListResourceRecordSetsCommand: ['route53:ListResourceRecordSets'],
  GetChangeCommand: ['route53:GetChange'],
  GetHostedZoneCommand: ['route53:GetHostedZone'],
  TestDNSAnswerCommand: ['route53:TestDNSAnswer'],
  GetHostedZoneLimitCommand: ['route53:GetHostedZoneLimit'],
  // SQS
  GetQueueAttributesCommand: ['sqs:GetQueueAttributes'],
  // S3
  PutObjectCommand: ['s3:PutObject'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  ListObjectsV2Command: ['s3:ListBucket'],
  // lib-storage's multipart upload: Create/UploadPart/Complete are s3:PutObject, plus the abort on failure.
  Upload: ['s3:PutObject', 's3:AbortMultipartUpload'],
  // Lambda
  InvokeCommand: ['lambda:InvokeFunction'],
  // Step Functions
  StartExecutionCommand: ['states:StartExecution'],
  DescribeExecutionCommand: ['states:DescribeExecution'],
};

export interface UsedActions {
  /** SDK classes the reachable code constructs. */
  readonly commands: string[];
  /** IAM actions they need. */
  readonly actions: string[];
  /** Reachable project declarations (for diagnostics), as "file:name". */
  readonly reached: string[];
}

let programCache: ts.Program | undefined;
function program(): ts.Program {
  if (programCache) return programCache;
  const configFile = path.join(REPO, 'tsconfig.json');
  const cfg = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, REPO);
  const handlers = ts.sys.readDirectory(path.join(REPO, 'lambdas', 'handlers'), ['.ts']);
  programCache = ts.createProgram(handlers, { ...parsed.options, noEmit: true });
  return programCache;
}

const isProjectFile = (f: ts.SourceFile) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/');

type Decl = ts.Declaration;

function shortName(d: ts.Node): string {
  const n = (d as { name?: ts.Node }).name;
  return n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n)) ? n.text : ts.SyntaxKind[d.kind];
}

function declName(d: ts.Node): string {
  const cls = d.parent && (ts.isClassLike(d.parent) || ts.isInterfaceDeclaration(d.parent)) ? `${shortName(d.parent)}.` : '';
  return `${path.relative(REPO, d.getSourceFile().fileName)}:${cls}${shortName(d)}`;
}

/** The items of a TransactWriteItems request and the IAM action each needs. */
const TRANSACT_ITEMS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};
const TRANSACT_COMMANDS = new Set(['TransactWriteCommand', 'TransactWriteItemsCommand']);

/**
 * Actions the handler in lambdas/handlers/<file> can reach. `unreachable` names project files whose
 * code is taken as never running (a path the deployment's configuration switches off, e.g. the
 * evidence intake without EVIDENCE_TABLE): nothing declared in them is followed.
 */
export function usedActions(handlerFile: string, unreachable: readonly string[] = []): UsedActions {
  const prog = program();
  const skipped = new Set(unreachable.map((f) => path.resolve(REPO, f)));
  const checker = prog.getTypeChecker();
  const entry = prog.getSourceFile(path.resolve(REPO, handlerFile));
  if (!entry) throw new Error(`${handlerFile} is not in the program`);

  const reached = new Set<ts.Node>();
  const work: ts.Node[] = [];
  const commands = new Set<string>();
  const instantiated = new Set<ts.ClassLikeDeclaration>();
  /** Methods reached through a class type: class -> member names (dispatched to subclasses). */
  const classCalls = new Map<ts.ClassLikeDeclaration, Set<string>>();
  /** Members reached through an interface / type literal: dispatched to every instantiated class. */
  const interfaceCalls = new Set<string>();
  const allClasses: ts.ClassLikeDeclaration[] = [];
  for (const sf of prog.getSourceFiles()) {
    if (!isProjectFile(sf)) continue;
    const visit = (n: ts.Node) => {
      if (ts.isClassLike(n)) allClasses.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  const reach = (n: ts.Node | undefined) => {
    if (!n || reached.has(n)) return;
    reached.add(n);
    work.push(n);
  };

  const memberName = (m: ts.Node): string | undefined => {
    const n = (m as { name?: ts.Node }).name;
    return n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n)) ? n.text : undefined;
  };
  const baseClass = (c: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined => {
    const ext = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    if (!ext) return undefined;
    let s = checker.getSymbolAtLocation(ext.expression);
    if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    return s?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d) && isProjectFile(d.getSourceFile()));
  };
  const isSubclassOf = (c: ts.ClassLikeDeclaration, base: ts.ClassLikeDeclaration): boolean => {
    for (let b = baseClass(c); b; b = baseClass(b)) if (b === base) return true;
    return false;
  };
  const dispatch = (c: ts.ClassLikeDeclaration, name: string) => {
    for (const m of c.members) if (memberName(m) === name) reach(m);
  };
  const instantiate = (c: ts.ClassLikeDeclaration) => {
    if (instantiated.has(c)) return;
    instantiated.add(c);
    for (const m of c.members) {
      if (ts.isConstructorDeclaration(m) || ts.isPropertyDeclaration(m) || ts.isClassStaticBlockDeclaration(m)) reach(m);
      // Parameter properties (constructor(private readonly x)) are covered by the constructor.
    }
    const base = baseClass(c);
    if (base) instantiate(base);
    for (const name of interfaceCalls) dispatch(c, name);
    for (const [cls, names] of classCalls) if (isSubclassOf(c, cls)) for (const name of names) dispatch(c, name);
  };

  const useDeclaration = (d: Decl) => {
    const sf = d.getSourceFile();
    if (!isProjectFile(sf) || skipped.has(sf.fileName)) return;
    if (ts.isClassLike(d)) {
      instantiate(d);
      return;
    }
    if (
      ts.isFunctionDeclaration(d) ||
      ts.isFunctionExpression(d) ||
      ts.isArrowFunction(d) ||
      ts.isVariableDeclaration(d) ||
      ts.isPropertyDeclaration(d) ||
      ts.isGetAccessorDeclaration(d) ||
      ts.isSetAccessorDeclaration(d) ||
      ts.isConstructorDeclaration(d) ||
      ts.isEnumDeclaration(d) ||
      ts.isPropertyAssignment(d) ||
      ts.isShorthandPropertyAssignment(d)
    ) {
      reach(d);
    }
    if (ts.isMethodDeclaration(d) || ts.isGetAccessorDeclaration(d) || ts.isSetAccessorDeclaration(d) || ts.isPropertyDeclaration(d)) {
      reach(d);
      const cls = d.parent;
      const name = memberName(d);
      if (ts.isClassLike(cls) && name) {
        const names = classCalls.get(cls) ?? new Set<string>();
        if (!names.has(name)) {
          names.add(name);
          classCalls.set(cls, names);
          for (const c of instantiated) if (isSubclassOf(c, cls)) dispatch(c, name);
        }
      }
    }
    if (ts.isMethodSignature(d) || ts.isPropertySignature(d)) {
      const name = memberName(d);
      if (name && !interfaceCalls.has(name)) {
        interfaceCalls.add(name);
        for (const c of instantiated) dispatch(c, name);
      }
    }
  };

  const useSymbol = (symbol: ts.Symbol | undefined) => {
    if (!symbol) return;
    let s = symbol;
    if (s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    for (const d of s.declarations ?? []) {
      const sf = d.getSourceFile();
      if (!isProjectFile(sf)) {
        // An SDK class: what the code sends.
        if (ts.isClassDeclaration(d) && d.name && /\/@aws-sdk\//.test(sf.fileName) && COMMAND_ACTIONS[d.name.text]) commands.add(d.name.text);
        else if (ts.isClassDeclaration(d) && d.name && /\/@aws-sdk\//.test(sf.fileName) && /Command$/.test(d.name.text)) {
          throw new Error(`${declName(d)}: no IAM mapping for ${d.name.text}; add it to COMMAND_ACTIONS`);
        }
        continue;
      }
      useDeclaration(d);
    }
    // Mapped/synthetic members (Pick<…>, Partial<…>) point back to their originals.
    const target = (s as { links?: { syntheticOrigin?: ts.Symbol; target?: ts.Symbol } }).links;
    if (target?.syntheticOrigin) useSymbol(target.syntheticOrigin);
    if (target?.target && target.target !== s) useSymbol(target.target);
  };

  /** Kinds of transaction items (Put, Delete …) built in reachable code. */
  const transactItems = new Set<string>();

  const walk = (node: ts.Node) => {
    if (ts.isTypeNode(node) && !ts.isExpressionWithTypeArguments(node)) return;
    if (ts.isObjectLiteralExpression(node)) {
      // An item of a transaction: an object typed as the SDK's TransactWriteItem (Put | Update |
      // Delete | ConditionCheck), or shaped like one ({ Delete: { TableName, … } }) where the type
      // does not flow (e.g. returned from a flatMap callback).
      const propName = (p: ts.ObjectLiteralElementLike) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined);
      const t = checker.getContextualType(node);
      const typed = t !== undefined && Object.keys(TRANSACT_ITEMS).every((k) => t.getProperty(k) !== undefined);
      const only = node.properties.length === 1 ? node.properties[0]! : undefined;
      const shaped =
        only !== undefined &&
        TRANSACT_ITEMS[propName(only) ?? ''] !== undefined &&
        ts.isPropertyAssignment(only) &&
        ts.isObjectLiteralExpression(only.initializer) &&
        only.initializer.properties.some((p) => propName(p) === 'TableName');
      if (typed || shaped) {
        for (const p of node.properties) {
          const name = propName(p);
          if (name && TRANSACT_ITEMS[name]) transactItems.add(name);
          else throw new Error(`${declName(node)}: a transaction item built in a way this walk does not read`);
        }
      }
    }
    if (
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) ||
      ts.isImportDeclaration(node) ||
      ts.isExportDeclaration(node) ||
      ts.isHeritageClause(node)
    ) {
      return;
    }
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
      if (ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node) {
        useSymbol(checker.getShorthandAssignmentValueSymbol(node.parent));
      }
      useSymbol(checker.getSymbolAtLocation(node));
      return;
    }
    if (node.kind === ts.SyntaxKind.SuperKeyword) {
      const cls = ts.findAncestor(node, ts.isClassLike);
      const base = cls && baseClass(cls);
      if (base) instantiate(base);
    }
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      // const { a } = obj: the property a of obj's type.
      const prop = node.propertyName ?? node.name;
      if (ts.isIdentifier(prop)) {
        const t = checker.getTypeAtLocation(node.parent);
        useSymbol(t.getProperty(prop.text));
      }
    }
    ts.forEachChild(node, walk);
  };

  // Module initialisation: every module in the handler's import graph runs its top-level statements.
  const seenFiles = new Set<ts.SourceFile>();
  const loadModule = (sf: ts.SourceFile) => {
    if (seenFiles.has(sf) || !isProjectFile(sf) || skipped.has(sf.fileName)) return;
    seenFiles.add(sf);
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) {
        if (ts.isImportDeclaration(st) ? st.importClause?.isTypeOnly : st.isTypeOnly) continue;
        const spec = st.moduleSpecifier;
        if (spec && ts.isStringLiteral(spec)) {
          const resolved = ts.resolveModuleName(spec.text, sf.fileName, prog.getCompilerOptions(), ts.sys).resolvedModule;
          const target = resolved && prog.getSourceFile(resolved.resolvedFileName);
          if (target) loadModule(target);
        }
        continue;
      }
      if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) continue;
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          const init = d.initializer;
          // A function value runs only when referenced (and then it is reached through its symbol).
          if (init && !ts.isArrowFunction(init) && !ts.isFunctionExpression(init)) reach(d);
        }
        continue;
      }
      reach(st);
    }
  };
  loadModule(entry);
  // The handler itself (exported `handler`), whatever it is.
  const handlerSym = checker.getExportsOfModule(checker.getSymbolAtLocation(entry)!).find((s) => s.name === 'handler');
  if (!handlerSym) throw new Error(`${handlerFile} exports no handler`);
  useSymbol(handlerSym);

  while (work.length > 0) walk(work.pop()!);

  const actions = new Set<string>();
  for (const c of commands) {
    // A transaction needs the action of each kind of item it carries (all four when none was seen).
    if (TRANSACT_COMMANDS.has(c) && transactItems.size > 0) for (const k of transactItems) actions.add(TRANSACT_ITEMS[k]!);
    else for (const a of COMMAND_ACTIONS[c]!) actions.add(a);
  }
  return {
    commands: [...commands].sort(),
    actions: [...actions].sort(),
    reached: [...reached].filter((n) => !ts.isSourceFile(n)).map(declName).sort(),
  };
}

/**
 * usedActions for several handlers, computed in a child process: building the TypeScript program
 * takes seconds of synchronous work, which would stall a test worker (and its RPC with vitest).
 */
export async function usedActionsInChild(handlerFiles: readonly string[]): Promise<Record<string, UsedActions>> {
  const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
  const { stdout } = await promisify(execFile)(tsx, [fileURLToPath(import.meta.url), ...handlerFiles], {
    cwd: REPO,
    maxBuffer: 64 << 20,
    timeout: 300_000,
  });
  return JSON.parse(stdout) as Record<string, UsedActions>;
}

/** The argument naming a handler with files taken as unreachable: "lambdas/handlers/api.ts?unreachable=a.ts,b.ts". */
export const withUnreachable = (handlerFile: string, files: readonly string[]) => `${handlerFile}?unreachable=${files.join(',')}`;

// As a script: `tsx test/cdk/used-actions.ts lambdas/handlers/api.ts …` prints {argument: UsedActions} as JSON.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out: Record<string, UsedActions> = {};
  for (const arg of process.argv.slice(2)) {
    const [f, query] = arg.split('?unreachable=');
    out[arg] = usedActions(f!, query ? query.split(',') : []);
  }
  process.stdout.write(JSON.stringify(out));
}
