#!/usr/bin/env node
// Thin launcher so `npx refit` and the package bin run the compiled CLI.
import '../dist/cli.js';
