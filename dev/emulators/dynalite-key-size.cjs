// Preloaded into dynalite (node --require this cli.js ...) by dev/testenv:
// makes it count a key's size as DynamoDB does, in bytes of UTF-8.
//
// DynamoDB limits a partition key value to 2048 bytes and a sort key value to
// 1024, strings counted in UTF-8 ("Strings are Unicode with UTF-8 binary
// encoding", DynamoDB Developer Guide, "Quotas": partition and sort keys), on
// reads as on writes (ScyllaDB's Alternator suite, which runs against
// DynamoDB: test/alternator/test_limits.py, test_limit_partition_key_len_2048:
// a 2049-byte key is refused by PutItem and GetItem alike). dynalite 4.0.0's
// checkKeySize counts String.length, UTF-16 code units, so a key of 1,500 "é"
// (3,000 bytes) passes here and fails on AWS. The refusal is the
// ValidationException DynamoDB answers, in its words, "of2048" without a space
// included (moto, moto/dynamodb/exceptions.py HashKeyTooLong and
// tests/test_dynamodb/exceptions/test_key_length_exceptions.py, which keeps
// the missing space "deliberately", with a non-ASCII key counted in bytes);
// dynalite has the same message for the keys it does refuse.
//
// dynalite's actions call its key checks through the db module's exports
// (db.validateKey, db.validateItem, db.validateKeyPiece), so wrapping those
// covers GetItem, PutItem, UpdateItem, DeleteItem, BatchGetItem,
// BatchWriteItem and the start keys of Query and Scan. Each wrapper runs
// dynalite's own check first (type, emptiness, schema, its UTF-16 size, which
// never exceeds the UTF-8 one), then the UTF-8 size.
"use strict";

const path = require("node:path");

const cli = process.argv[1];
if (!cli || path.basename(cli) !== "cli.js") {
  throw new Error(`dynalite-key-size.cjs: preload it into dynalite's cli.js, not ${cli}`);
}
const db = require(path.join(path.dirname(cli), "db", "index.js"));
for (const fn of ["validateKey", "validateItem", "validateKeyPiece", "traverseKey", "validationError"]) {
  if (typeof db[fn] !== "function") {
    throw new Error(`dynalite-key-size.cjs: dynalite's db module has no ${fn}: this dynalite is not the one it was written for (4.0.0)`);
  }
}

const MAX_HASH_BYTES = 2048;
const MAX_RANGE_BYTES = 1024;

function tooLong(value, type, isHash) {
  if (type !== "S" || typeof value !== "string") return null; // N is never too long; B is counted in bytes already
  const bytes = Buffer.byteLength(value, "utf8");
  if (isHash && bytes > MAX_HASH_BYTES) {
    return db.validationError("One or more parameter values were invalid: " +
      `Size of hashkey has exceeded the maximum size limit of${MAX_HASH_BYTES} bytes`);
  }
  if (!isHash && bytes > MAX_RANGE_BYTES) {
    return db.validationError("One or more parameter values were invalid: " +
      `Aggregated size of all range keys has exceeded the size limit of ${MAX_RANGE_BYTES} bytes`);
  }
  return null;
}

function keysTooLong(data, table, keySchema) {
  if (!data || !table) return null;
  const visit = (attr, type, isHash) => tooLong(data[attr]?.[type], type, isHash);
  return keySchema ? db.traverseKey(table, keySchema, visit) : db.traverseKey(table, visit);
}

const { validateKey, validateItem, validateKeyPiece } = db;
db.validateKey = function (dataKey, table, keySchema) {
  return validateKey.apply(this, arguments) || keysTooLong(dataKey, table, keySchema);
};
db.validateItem = function (dataItem, table) {
  return validateItem.apply(this, arguments) || keysTooLong(dataItem, table);
};
db.validateKeyPiece = function (key, attr, type, isHash) {
  return validateKeyPiece.apply(this, arguments) || tooLong(key?.[attr]?.[type], type, isHash);
};
