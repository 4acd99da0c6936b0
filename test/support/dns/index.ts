// Real-DNS test harness: BIND and rbldnsd as child processes, dig in batches.
export { requireTool, findTool, type ToolName } from './tools.js';
export { freePort } from './ports.js';
export { startBind, checkZoneText, type BindServer } from './bind.js';
export { startRbldnsd, checkRbldnsdFile, type RbldnsdServer, type RbldnsdFile, type RbldnsdFileType } from './rbldnsd.js';
export { digBatch, answerSet, decodeTxt, parseDigOutput, type DigQuery, type DigResult, type DigRecord, type DigOptions, type AnswerSet } from './dig.js';
export { querySoa } from './probe.js';
