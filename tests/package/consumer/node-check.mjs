// Imports the installed package by its name, as a node project would.
import createPerch from '@perch/wasm';
import { exercise } from './exercise.mjs';

process.stdout.write(JSON.stringify(await exercise(createPerch)));
