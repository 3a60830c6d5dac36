import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PACKAGE_VERSION } from '../../../shared/config/package-version.ts';

export interface MachineInfo {
  cores: number;
  cpu: string;
  /** CPU features that matter to ONNX Runtime's kernels, from /proc/cpuinfo (Linux). */
  cpu_flags: string[];
  memory_gib: number;
  os: string;
  node: string;
  onnxruntime: string;
  grokcat: string;
  date: string;
}

const INTERESTING = ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'fma'];

function onnxRuntimeVersion(): string {
  try {
    const url = new URL('../../../node_modules/onnxruntime-node/package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** What a benchmark figure ran on: every figure in the report is stated with this. */
export function machineInfo(): MachineInfo {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const present = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    flags = INTERESTING.filter((flag) => present.has(flag));
  } catch {
    // not Linux: no flags
  }
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpu_flags: flags,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    onnxruntime: onnxRuntimeVersion(),
    grokcat: PACKAGE_VERSION,
    date: new Date().toISOString(),
  };
}

/** `2 cores, AMD EPYC, 2026-11-30`: the caption every table and chart carries. */
export const machineCaption = (m: MachineInfo) => `${m.cores} cores, ${m.cpu}, ${m.date.slice(0, 10)}`;
