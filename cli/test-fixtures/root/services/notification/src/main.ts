// Fixture entry point: the stand-in service (see ../../../../service.mjs).
import '../../../../service.mjs';
