# cmake -DSRC=python/nabla -DDST=<build>/python/nabla -P sync_py.cmake
# Copies every .py under SRC to DST (when changed) and removes .py files of DST
# that SRC no longer has, so the build's package mirrors the sources.
file(GLOB_RECURSE srcs RELATIVE ${SRC} ${SRC}/*.py)
foreach(f ${srcs})
  if(NOT f MATCHES "__pycache__")
    configure_file(${SRC}/${f} ${DST}/${f} COPYONLY)
  endif()
endforeach()
file(GLOB_RECURSE dsts RELATIVE ${DST} ${DST}/*.py)
foreach(f ${dsts})
  if(NOT EXISTS ${SRC}/${f})
    file(REMOVE ${DST}/${f})
  endif()
endforeach()
