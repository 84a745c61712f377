/**
 * Stage 1, resolve: the validated model becomes a {@link dev.beckon.planner.manifest.Manifest}, one
 * {@link dev.beckon.planner.manifest.ManifestEntry} per service and target, content-hashed, with the files its
 * activation module renders. Owns package digests and how a manifest is written to and read from JSON.
 * Pure: nothing here touches a target.
 */
package dev.beckon.planner.manifest;
