#!/bin/sh
echo "Executed pre job script"
