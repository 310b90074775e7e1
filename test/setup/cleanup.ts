/**
 * Vitest setup file (runs in every test file): `TMPDIR` is the run's own folder, and the
 * folders made with `tempDir()` are removed after the file's last test.
 */
import { afterAll, inject } from 'vitest';
import { removeTempDirs } from '../helpers/temp.js';

process.env.TMPDIR = inject('tmpRoot');

afterAll(() => removeTempDirs());
