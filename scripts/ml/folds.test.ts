import { expect, test } from "vitest";
import { foldTrainStarts } from "./folds";

test("folds end with the pipeline's validation stage and never reach the test window", () => {
  // Pipeline trained from 2018-07-25: validation stage trains from 07-11 (validates 07-25..31);
  // the test window starts 08-08.
  expect(foldTrainStarts("2018-07-25", 4)).toEqual([
    "2018-06-20",
    "2018-06-27",
    "2018-07-04",
    "2018-07-11",
  ]);
  expect(foldTrainStarts("2018-07-25", 1)).toEqual(["2018-07-11"]);
});
