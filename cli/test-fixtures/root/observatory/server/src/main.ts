// Fixture entry point: the stand-in observatory (see ../../../../service.mjs).
import '../../../../service.mjs';
