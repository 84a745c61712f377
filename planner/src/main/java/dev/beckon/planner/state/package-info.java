/**
 * What beckon keeps on disk to stay safe when it runs concurrently or is killed: the state directories
 * per target, the deployment and profile locks, and the intent journal that recovery reads.
 */
package dev.beckon.planner.state;
