// Package deploy checks the deployment files at the root of the repository
// (Dockerfile, compose.yaml, Procfile) against the programs: the services
// and their order, the settings they pass, the health checks. It has no
// code of its own; there is no Docker daemon where the tests run, so the
// files are read, not run (.ci/compose-check runs them where Docker is).
package deploy
