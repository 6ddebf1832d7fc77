/**
 * Turns a ColumnBuilder's problem code into the NbresumeError a user sees, naming the file, line,
 * column and value: one place, so CSV cells and JSON values fail with the same codes and words.
 */
import { NbresumeError } from "../../errors.js";
import { ValueProblem, type ValueProblemCode } from "./column-builder.js";
import { DataErrorCode, type DataPlace, dataMessages as msg } from "./messages.js";

/** `shown` is the value as the message quotes it (the cell's text, a JSON rendering). */
export function valueError(problem: ValueProblemCode, at: DataPlace, shown: string, dtype: string): NbresumeError {
  const where = at.file;
  switch (problem) {
    case ValueProblem.NOT_NUMBER:
      return new NbresumeError(DataErrorCode.VALUE_INVALID, msg.valueNotNumber(at, shown), { where });
    case ValueProblem.NOT_FINITE:
      return new NbresumeError(DataErrorCode.VALUE_NAN, msg.valueNaN(at, shown, dtype), { where });
    case ValueProblem.NOT_INTEGER:
      return new NbresumeError(DataErrorCode.VALUE_NOT_INTEGER, msg.valueNotInteger(at, shown, dtype), { where });
    case ValueProblem.INEXACT:
      return new NbresumeError(DataErrorCode.VALUE_RANGE, msg.valueInexact(at, shown, dtype), { where });
    default:
      return new NbresumeError(DataErrorCode.VALUE_RANGE, msg.valueRange(at, shown, dtype), { where });
  }
}

/** A CSV cell as messages quote it: in quotes, "(empty)" for nothing. */
export function showCell(text: string): string {
  return text.length === 0 ? "an empty cell" : JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
