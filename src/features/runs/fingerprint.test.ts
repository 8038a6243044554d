import { describe, expect, it } from "vitest";
import { fingerprintOf, normaliseMessage } from "./fingerprint.ts";

function sameGroup(a: string, b: string): void {
  expect(normaliseMessage(b)).toBe(normaliseMessage(a));
  expect(fingerprintOf(normaliseMessage(b))).toBe(fingerprintOf(normaliseMessage(a)));
}

describe("error fingerprints", () => {
  it("groups numbers joined to units or letters: durations, sizes, counters", () => {
    expect(normaliseMessage("Executor heartbeat timed out after 65ms")).toBe("Executor heartbeat timed out after <n>ms");
    sameGroup("Executor heartbeat timed out after 65ms", "Executor heartbeat timed out after 195ms");
    expect(normaliseMessage("Tried to allocate 2.00GiB within 30s at step12")).toBe(
      "Tried to allocate <n>GiB within <n>s at step<n>",
    );
    sameGroup("checkpoint failed at step12 after 30s", "checkpoint failed at step9031 after 1800s");
    expect(normaliseMessage("lr 1e-05, loss 2.5E+03, 95% done")).toBe("lr <n>, loss <n>, <n>% done");
  });

  it("makes a timestamp one placeholder, whichever logger wrote it", () => {
    for (const ts of [
      "2024-05-01T12:00:03Z",
      "2024-05-01T12:00:03.123456+02:00",
      "2024-05-01 12:00:03,123",
      "24/05/01 12:00:03",
      "12:00:03.5",
      "2024-05-01",
    ]) {
      expect(normaliseMessage(`lease expired at ${ts} on the driver`)).toBe("lease expired at <ts> on the driver");
    }
    // A dated path stays a path.
    expect(normaliseMessage("cannot read /data/24/05/01/part.parquet")).toBe("cannot read <path>");
  });

  it("groups the real Spark failures of the fixtures across tasks, hosts, containers and buffers", () => {
    // ../shared/fixtures/spark/local-1776286786993.zstd (a job's Failure Reason, first line)
    const aborted =
      "Job aborted due to stage failure: Task 0 in stage 5.0 failed 4 times, most recent failure: Lost task 0.3 in stage 5.0 (TID 19) (71cc0a0f2562 executor driver): org.apache.spark.api.python.PythonException: Traceback (most recent call last):";
    expect(normaliseMessage(aborted)).toBe(
      "Job aborted due to stage failure: Task <n> in stage <n> failed <n> times, most recent failure: Lost task <n> in stage <n> (TID <n>) (<hex> executor driver): org.apache.spark.api.python.PythonException: Traceback (most recent call last):",
    );
    sameGroup(
      aborted,
      "Job aborted due to stage failure: Task 7 in stage 12.0 failed 4 times, most recent failure: Lost task 7.3 in stage 12.0 (TID 311) (5e2f1a7c9b3d executor driver): org.apache.spark.api.python.PythonException: Traceback (most recent call last):",
    );
    // ../shared/fixtures/spark/gpu_oom_eventlog.zstd (task end Description)
    sameGroup(
      "GPU OutOfMemory: could not split inputs and retry. The current attempt: {HostMemoryBuffer{address=0x7efb59067010, length=729579585, id=33610}}",
      "GPU OutOfMemory: could not split inputs and retry. The current attempt: {HostMemoryBuffer{address=0x7efc1de8f010, length=731512472, id=42359}}",
    );
    // ../shared/fixtures/spark/application_1472176676028_407508_1 (executor Removed Reason)
    const removed = "Container container_1472176676028_407508_01_000023 exited from explicit termination request.";
    expect(normaliseMessage(removed)).toBe("Container container_<n>_<n>_<n>_<n> exited from explicit termination request.");
    sameGroup(removed, "Container container_1472176676028_407508_01_000006 exited from explicit termination request.");
    sameGroup(
      "Connection to /10.0.0.3:7077 has been quiet for 120000 ms while there are outstanding requests. Assuming connection is dead; please adjust spark.network.timeout if this is wrong.",
      "Connection to /10.0.0.17:7077 has been quiet for 120041 ms while there are outstanding requests. Assuming connection is dead; please adjust spark.network.timeout if this is wrong.",
    );
    sameGroup(
      "24/05/01 12:00:03 ERROR Executor: Exception in task 0.0 in stage 1.0 (TID 1)",
      "24/05/01 12:07:41 ERROR Executor: Exception in task 3.1 in stage 1.0 (TID 9)",
    );
  });

  it("groups PyTorch, CUDA and NCCL errors of different ranks and sizes", () => {
    sameGroup(
      "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.14 GiB of which 1.23 GiB is free. Including non-PyTorch memory, this process has 77.90 GiB memory in use.",
      "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 16.50 GiB. GPU 3 has a total capacity of 79.14 GiB of which 10.06 GiB is free. Including non-PyTorch memory, this process has 69.08 GiB memory in use.",
    );
    sameGroup(
      "[Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1234, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600035 milliseconds before timing out.",
      "[Rank 6] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1240, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600410 milliseconds before timing out.",
    );
    sameGroup(
      "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cuda:1!",
      "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:2 and cuda:7!",
    );
    sameGroup(
      "2024-05-01 12:00:03,123 ERROR train.py: loss is NaN at step12 (epoch3)",
      "2024-05-02 08:14:55,901 ERROR train.py: loss is NaN at step4410 (epoch17)",
    );
  });

  it("keeps the template (and fingerprint) of messages without such numbers", () => {
    // The templates the rules gave before numbers glued to units and timestamps were handled.
    const unchanged: [string, string][] = [
      [
        "RuntimeError: CUDA error: an illegal memory access was encountered",
        "RuntimeError: CUDA error: an illegal memory access was encountered",
      ],
      ["java.lang.OutOfMemoryError: Java heap space", "java.lang.OutOfMemoryError: Java heap space"],
      [
        "Failed to open '/data/part-0001.parquet': No such file or directory at /mnt/x/y",
        "Failed to open <str>: No such file or directory at <path>",
      ],
      [
        "ValueError: Expected input batch_size (64) to match target batch_size (32).",
        "ValueError: Expected input batch_size (<n>) to match target batch_size (<n>).",
      ],
      [
        "Connection refused by worker-3 at 10.0.0.3:7077 for app 123e4567-e89b-12d3-a456-426614174000",
        "Connection refused by worker<n> at <ip> for app <uuid>",
      ],
      [
        "NCCL error in: /opt/pytorch/torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1275, unhandled system error, NCCL version 2.18.1",
        "NCCL error in: <path>:<n>, unhandled system error, NCCL version <n>.<n>",
      ],
    ];
    for (const [message, template] of unchanged) expect(normaliseMessage(message)).toBe(template);
  });

  it("names the error by its first line only", () => {
    sameGroup(
      'Traceback (most recent call last):\n  File "train.py", line 12, in <module>',
      'Traceback (most recent call last):\n  File "eval.py", line 80, in main',
    );
  });
});
