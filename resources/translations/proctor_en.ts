<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>AddFilesDialog</name>
    <message numerus="yes">
        <source>Also add %n file(s) that are not recordings</source>
        <translation>
            <numerusform>Also add %n file that is not a recording</numerusform>
            <numerusform>Also add %n files that are not recordings</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Add %n recording(s)</source>
        <translation>
            <numerusform>Add %n recording</numerusform>
            <numerusform>Add %n recordings</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s), {size} in total</source>
        <translation>
            <numerusform>%n file, {size}</numerusform>
            <numerusform>%n files, {size} in total</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AppController</name>
    <message numerus="yes">
        <source>It was kept as {path} for your IT support. %n receipt(s) restored; add recordings that had not finished uploading again.</source>
        <translation>
            <numerusform>It was kept as {path} for your IT support. %n receipt restored; add recordings that had not finished uploading again.</numerusform>
            <numerusform>It was kept as {path} for your IT support. %n receipts restored; add recordings that had not finished uploading again.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) from the watched folder were queued.</source>
        <translation>
            <numerusform>%n recording from the watched folder was queued.</numerusform>
            <numerusform>%n recordings from the watched folder were queued.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>All %n recording(s) uploaded</source>
        <translation>
            <numerusform>The recording was uploaded</numerusform>
            <numerusform>All %n recordings uploaded</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) need attention</source>
        <translation>
            <numerusform>%n recording needs attention</numerusform>
            <numerusform>%n recordings need attention</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n receipt(s) saved to {path}.</source>
        <translation>
            <numerusform>%n receipt saved to {path}.</numerusform>
            <numerusform>%n receipts saved to {path}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message numerus="yes">
        <source>%n upload(s)</source>
        <translation>
            <numerusform>%n upload</numerusform>
            <numerusform>%n uploads</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Cancel %n upload(s)?</source>
        <translation>
            <numerusform>Cancel this upload?</numerusform>
            <numerusform>Cancel %n uploads?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Plurals</name>
    <message numerus="yes">
        <source>%n file(s) paused</source>
        <translation>
            <numerusform>%n file paused</numerusform>
            <numerusform>%n files paused</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) need attention</source>
        <translation>
            <numerusform>%n file needs attention</numerusform>
            <numerusform>%n files need attention</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) already in the queue</source>
        <translation>
            <numerusform>%n file is already in the queue</numerusform>
            <numerusform>%n files are already in the queue</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) could not be added</source>
        <translation>
            <numerusform>%n file could not be added</numerusform>
            <numerusform>%n files could not be added</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s) uploaded and verified at {time}</source>
        <translation>
            <numerusform>%n recording uploaded and verified at {time}</numerusform>
            <numerusform>%n recordings uploaded and verified at {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n min</source>
        <comment>duration</comment>
        <translation>
            <numerusform>about %n min</numerusform>
            <numerusform>about %n min</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n h</source>
        <comment>duration</comment>
        <translation>
            <numerusform>about %n h</numerusform>
            <numerusform>about %n h</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>about %n days</source>
        <comment>duration</comment>
        <translation>
            <numerusform>about %n day</numerusform>
            <numerusform>about %n days</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message numerus="yes">
        <source>The server is refusing sign-ins for a while. Try again in about %n minute(s).</source>
        <translation>
            <numerusform>The server is refusing sign-ins for a while. Try again in about a minute.</numerusform>
            <numerusform>The server is refusing sign-ins for a while. Try again in about %n minutes.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message numerus="yes">
        <source>%n file(s) need attention</source>
        <translation>
            <numerusform>%n file needs attention</numerusform>
            <numerusform>%n files need attention</numerusform>
        </translation>
    </message>
</context>
</TS>
